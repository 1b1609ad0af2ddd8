import type { Logger } from '@herald/server';
import { expect, snapshot, test } from './fixtures.js';

/** The demo's log lines (router, services), to check what the service says it served. */
const logLines: string[] = [];
const logger: Logger = { log: (level, message) => logLines.push(`${level} ${message}`) };

test.describe('requests', () => {
  test.use({ demoOptions: { services: true, logger } });

  test('a request from the page gets its typed reply, and an error reply is shown as an error', async ({ demo, openPage }) => {
    logLines.length = 0;
    const page = await openPage({ name: 'Browser-ask' });
    await expect(page.locator('#state')).toHaveText('open');
    // The page and the service (it counts messages per topic) are subscribed to the feed.
    await expect(page.locator('#presence-count')).toHaveText('2');
    await demo.router.publish('demo.sensors.lab', { seq: 1 });
    await demo.router.publish('demo.chat', { text: 'status report' });
    await expect(page.locator('#feed-count')).toHaveText('2');

    // demo.stats: a Date, a number, a BigInt and a Map, each with its type.
    await page.locator('#request-stats').click();
    const stats = page.locator('#stats-result');
    await expect(stats).toHaveAttribute('data-outcome', 'reply');
    await expect(stats).toHaveAttribute('data-method', 'demo.stats');
    await expect(stats.locator('.request-method')).toHaveText('demo.stats');
    await expect(stats.locator('.request-took')).toHaveText(/^\d+ ms · \d\d:\d\d:\d\d$/);
    const reply = stats.locator('.request-reply');
    const at = reply.locator('[data-field="at"] > dd > .v-leaf');
    await expect(at).toHaveAttribute('data-type', 'Date');
    await expect(at.locator('.v-value')).toHaveText(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    await expect(at.locator('.v-type')).toHaveText('Date');
    const members = reply.locator('[data-field="members"] > dd > .v-leaf');
    await expect(members.locator('.v-value')).toHaveText('2');
    await expect(members.locator('.v-type')).toHaveText('number');
    const uptime = reply.locator('[data-field="uptime"] > dd > .v-leaf');
    await expect(uptime.locator('.v-value')).toHaveText(/^\d+n$/);
    await expect(uptime.locator('.v-type')).toHaveText('BigInt');
    const topics = reply.locator('[data-field="topics"] > dd > .v-coll');
    await expect(topics).toHaveAttribute('data-type', 'Map');
    await expect(topics.locator('> .v-type')).toHaveText('Map(2)');
    await expect(topics.locator('.v-entry[data-key="demo.sensors.lab"] .v-value')).toHaveText('1');
    await expect(topics.locator('.v-entry[data-key="demo.chat"] .v-type')).toHaveText('number');
    await expect(stats.locator('.request-error')).toHaveCount(0);

    // demo.forecast for a known place: a typed reply too.
    const forecast = page.locator('#forecast-result');
    await page.locator('#forecast-place').fill('Vulcan');
    await page.locator('#forecast-button').click();
    await expect(forecast).toHaveAttribute('data-outcome', 'reply');
    await expect(forecast.locator('[data-field="place"] .v-value')).toHaveText('Vulcan');
    await expect(forecast.locator('[data-field="issuedAt"] .v-type')).toHaveText('Date');
    await expect(forecast.locator('[data-field="validUntil"] .v-type')).toHaveText('Date');
    await expect(forecast.locator('[data-field="celsius"] .v-type')).toHaveText('number');

    // And for an unknown one: the service throws a coded error; the page shows code, message and data.
    await page.locator('#forecast-place').fill('Mars');
    await page.keyboard.press('Enter');
    await expect(forecast).toHaveAttribute('data-outcome', 'error');
    const error = forecast.locator('.request-error');
    await expect(error).toHaveAttribute('role', 'alert');
    await expect(error).toHaveAttribute('data-source', 'service');
    await expect(error.locator('.request-error-code')).toHaveText('UNKNOWN_PLACE');
    await expect(error.locator('.request-error-message')).toHaveText('no forecast for Mars');
    const data = error.locator('.request-error-data');
    await expect(data.locator('[data-field="place"] .v-value')).toHaveText('Mars');
    await expect(data.locator('[data-field="place"] .v-type')).toHaveText('string');
    const known = data.locator('[data-field="known"] > dd > .v-coll');
    await expect(known).toHaveAttribute('data-type', 'Set');
    await expect(known.locator('> .v-type')).toHaveText('Set(4)');
    await expect(known.locator('.v-item .v-value')).toHaveText(['Earth', 'Vulcan', 'Risa', 'Andoria']);
    await expect(forecast.locator('.request-reply')).toHaveCount(0);
    // Styled as an error.
    const colour = await error.locator('.request-error-code').evaluate((node) => getComputedStyle(node).backgroundColor);
    expect(colour).toBe('rgb(220, 38, 38)');
    // The side column scrolls at 1280x800: bring the error into view for the screenshot.
    await forecast.scrollIntoViewIfNeeded();
    await snapshot(page, 'requests.png');

    // The service logged what it served.
    expect(logLines).toContain('info services: demo.stats for Browser-ask: answered');
    expect(logLines).toContain('info services: demo.forecast for Browser-ask: answered');
    expect(logLines).toContain('info services: demo.forecast for Browser-ask: failed');

    // With the service gone, the router answers NO_HANDLER at once: an error from the router, without data.
    await demo.services!.close();
    await expect(page.locator('#presence-count')).toHaveText('1');
    await page.locator('#request-stats').click();
    await expect(stats).toHaveAttribute('data-outcome', 'error');
    await expect(stats.locator('.request-error')).toHaveAttribute('data-source', 'router');
    await expect(stats.locator('.request-error-code')).toHaveText('NO_HANDLER');
    await expect(stats.locator('.request-error-data')).toHaveCount(0);
  });
});
