import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { POLL_INTERVALS, expect, test, snapshot } from './fixtures.js';

test.describe('embeddable widget', () => {
  test('the example page shows a live feed from one script tag', async ({ demo, openPage }) => {
    const page = await openPage({ path: 'widget.html' });
    // One tag brings the element: the widget entry is built with a stable name.
    await expect(page.locator('script[src$="/herald-feed.js"]')).toHaveCount(1);
    const widget = page.locator('herald-feed#widget');
    await expect(widget.locator('.hf-state')).toHaveText('open');
    await expect(widget.locator('.hf-empty')).toBeVisible();
    await expect.poll(() => demo.router.clients().filter((c) => c.name.startsWith('Widget-') && c.subscriptions.includes('demo.>')).length, { intervals: POLL_INTERVALS }).toBe(1);

    await demo.router.publish('demo.sensors.bridge', {
      at: new Date('2026-11-22T10:00:00.000Z'),
      rooms: new Map([['bridge', 22.5]]),
      total: 7n,
    });
    await demo.router.publish('demo.chat', { text: 'Ahead warp factor one', sentAt: new Date('2026-11-22T10:00:01.000Z'), seq: 8n });

    const items = widget.locator('.feed-item');
    await expect(items).toHaveCount(2);
    await expect(widget.locator('.hf-empty')).toBeHidden();
    await expect(items.first()).toHaveAttribute('data-topic', 'demo.chat');
    const reading = widget.locator('.feed-item[data-topic="demo.sensors.bridge"]');
    await expect(reading.locator('[data-field="total"] .v-value')).toHaveText('7n');
    await expect(reading.locator('[data-field="total"] .v-type')).toHaveText('BigInt');
    await expect(reading.locator('[data-field="at"] .v-type')).toHaveText('Date');
    await expect(reading.locator('[data-field="rooms"] > dd > .v-coll > .v-type')).toHaveText('Map(1)');
    await snapshot(page, 'widget.png');
  });

  test('another site embeds it with one script tag and its own topic', async ({ demo, newPage }) => {
    // A host page on another origin (another port on loopback), which only adds the tag.
    const script = new URL('herald-feed.js', demo.pageUrl).href;
    const host = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      response.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Host</title><link rel="icon" href="data:,"></head><body>
        <h1>Someone else's page</h1>
        <herald-feed topic="demo.chat" name="Lobby screen" heading="Lobby"></herald-feed>
        <script type="module" src="${script}"></script>
      </body></html>`);
    });
    host.listen(0, '127.0.0.1');
    await once(host, 'listening');
    try {
      const page = await newPage();
      await page.goto(`http://127.0.0.1:${(host.address() as AddressInfo).port}/`);
      const widget = page.locator('herald-feed');
      await expect(widget.locator('.hf-state')).toHaveText('open');
      await expect(widget.locator('.hf-title')).toHaveText('Lobby');
      await expect.poll(() => demo.router.clients().find((c) => c.name === 'Lobby screen')?.subscriptions, { intervals: POLL_INTERVALS }).toEqual(['demo.chat']);

      await demo.router.publish('demo.sensors.lab', { total: 1n });
      await demo.router.publish('demo.chat', { text: 'hello, lobby', seq: 2n });
      await expect(widget.locator('.feed-item')).toHaveCount(1);
      await expect(widget.locator('.feed-item [data-field="text"] .v-value')).toHaveText('hello, lobby');
    } finally {
      host.closeAllConnections();
      host.close();
    }
  });
});
