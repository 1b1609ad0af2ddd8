import { expect, test, snapshot } from './fixtures.js';

test.describe('layout', () => {
  // A busier demo: the sensor publisher runs, fast, and the request service answers.
  test.use({ demoOptions: { publisher: { intervalMs: 150, jobEvery: 4 }, services: true } });

  test('reads well at 1280x800 with members and a live feed', async ({ demo, openPage, spawnMember }) => {
    const page = await openPage({ name: 'Browser-desk' });
    for (const name of ['Captain', 'Kirk', 'Spock', 'Uhura']) spawnMember(name);
    // The page, four members and the request service (it subscribes to count messages).
    await expect(page.locator('#presence-count')).toHaveText('6');
    await expect(page.locator('#feed .feed-item[data-topic="demo.jobs.backup"]').first()).toBeVisible();
    await expect(page.locator('#feed .feed-item')).not.toHaveCount(0);
    await page.locator('#request-stats').click();
    await expect(page.locator('#stats-result')).toHaveAttribute('data-outcome', 'reply');
    expect(await horizontalOverflow(page)).toBe(false);
    // A still feed for the screenshot: no reading arrives (and fades in) while it is taken.
    await demo.publisher!.stop();
    await snapshot(page, 'desktop.png');
    expect(demo.router.clients().length).toBe(7); // those six, and the publisher
  });

  test('fits a phone (390x844)', async ({ demo, openPage, spawnMember }) => {
    const page = await openPage({ name: 'Phone', context: { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true } });
    spawnMember('Sulu');
    spawnMember('Chekov');
    await expect(page.locator('#state')).toHaveText('open');
    await expect(page.locator('#presence-count')).toHaveText('4'); // and the request service
    await expect(page.locator('#feed .feed-item').first()).toBeVisible();
    expect(await horizontalOverflow(page)).toBe(false);
    // On a phone the publish form comes before the feed.
    const formTop = (await page.locator('#publish-panel').boundingBox())?.y ?? Number.NaN;
    const feedTop = (await page.locator('#feed-panel').boundingBox())?.y ?? Number.NaN;
    expect(formTop).toBeLessThan(feedTop);
    await demo.publisher!.stop();
    await snapshot(page, 'phone.png');
    await snapshot(page, 'phone-full.png', { fullPage: true });
  });
});

function horizontalOverflow(page: import('@playwright/test').Page): Promise<boolean> {
  return page.evaluate(() => document.documentElement.scrollWidth > document.documentElement.clientWidth);
}
