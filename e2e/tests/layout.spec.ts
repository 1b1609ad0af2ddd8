import { expect, test, snapshot } from './fixtures.js';

test.describe('layout', () => {
  // A busier demo: the sensor publisher runs, fast.
  test.use({ demoOptions: { publisher: { intervalMs: 150, jobEvery: 4 } } });

  test('reads well at 1280x800 with members and a live feed', async ({ demo, openPage, spawnMember }) => {
    const page = await openPage({ name: 'Browser-desk' });
    for (const name of ['Captain', 'Kirk', 'Spock', 'Uhura']) spawnMember(name);
    await expect(page.locator('#presence-count')).toHaveText('5');
    await expect(page.locator('#feed .feed-item[data-topic="demo.jobs.backup"]').first()).toBeVisible();
    await expect(page.locator('#feed .feed-item')).not.toHaveCount(0);
    expect(await horizontalOverflow(page)).toBe(false);
    await snapshot(page, 'desktop.png');
    expect(demo.router.clients().length).toBe(6); // the page, four members, the publisher
  });

  test('fits a phone (390x844)', async ({ openPage, spawnMember }) => {
    const page = await openPage({ name: 'Phone', context: { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true } });
    spawnMember('Sulu');
    spawnMember('Chekov');
    await expect(page.locator('#state')).toHaveText('open');
    await expect(page.locator('#presence-count')).toHaveText('3');
    await expect(page.locator('#feed .feed-item').first()).toBeVisible();
    expect(await horizontalOverflow(page)).toBe(false);
    // On a phone the publish form comes before the feed.
    const formTop = (await page.locator('#publish-panel').boundingBox())?.y ?? Number.NaN;
    const feedTop = (await page.locator('#feed-panel').boundingBox())?.y ?? Number.NaN;
    expect(formTop).toBeLessThan(feedTop);
    await snapshot(page, 'phone.png');
    await snapshot(page, 'phone-full.png', { fullPage: true });
  });
});

function horizontalOverflow(page: import('@playwright/test').Page): Promise<boolean> {
  return page.evaluate(() => document.documentElement.scrollWidth > document.documentElement.clientWidth);
}
