import { connect } from '@herald/client';
import { CHAT_TOPIC } from '@herald/demo';
import type { Page } from '@playwright/test';
import { expect, test, snapshot } from './fixtures.js';

/** Waits until the page's own subscription is in place: its row appears once it subscribed. */
async function subscribed(page: Page, name: string): Promise<void> {
  await expect(page.locator('#state')).toHaveText('open');
  await expect(page.locator(`[data-member-name="${name}"]`)).toBeVisible();
}

test.describe('feed', () => {
  test('renders each value with its type: Date, Map entries, BigInt, Set, Uint8Array', async ({ demo, openPage }) => {
    const page = await openPage({ name: 'Browser-feed' });
    await subscribed(page, 'Browser-feed');

    await demo.router.publish('demo.sensors.lab', {
      at: new Date('2026-11-22T10:00:00.000Z'),
      room: 'lab',
      celsius: 19.25,
      rooms: new Map([
        ['kitchen', 21.5],
        ['lab', 19.25],
      ]),
      total: 42n,
    });
    const reading = page.locator('#feed .feed-item[data-topic="demo.sensors.lab"]');
    await expect(reading).toHaveCount(1);
    await expect(reading.locator('.feed-from')).toHaveText('router');

    const at = reading.locator('[data-field="at"] > dd > .v-leaf');
    await expect(at).toHaveAttribute('data-type', 'Date');
    await expect(at.locator('.v-value')).toHaveText('2026-11-22T10:00:00.000Z');
    await expect(at.locator('.v-type')).toHaveText('Date');

    const total = reading.locator('[data-field="total"] > dd > .v-leaf');
    await expect(total.locator('.v-value')).toHaveText('42n');
    await expect(total.locator('.v-type')).toHaveText('BigInt');

    const rooms = reading.locator('[data-field="rooms"] > dd > .v-coll');
    await expect(rooms).toHaveAttribute('data-type', 'Map');
    await expect(rooms.locator('> .v-type')).toHaveText('Map(2)');
    await expect(rooms.locator('.v-entry')).toHaveCount(2);
    await expect(rooms.locator('.v-entry[data-key="kitchen"] .v-value')).toHaveText('21.5');
    await expect(rooms.locator('.v-entry[data-key="kitchen"] .v-type')).toHaveText('number');
    await expect(rooms.locator('.v-entry[data-key="lab"] .v-value')).toHaveText('19.25');

    const celsius = reading.locator('[data-field="celsius"] > dd > .v-leaf');
    await expect(celsius).toHaveAttribute('data-type', 'number');
    await expect(reading.locator('[data-field="room"] .v-type')).toHaveText('string');

    await demo.router.publish('demo.jobs.backup', {
      job: 'backup',
      startedAt: new Date('2026-11-22T09:59:58.250Z'),
      finishedAt: new Date('2026-11-22T10:00:00.000Z'),
      ok: true,
      files: new Set(['bridge.log', 'lab.log']),
      bytes: 9_007_199_254_740_993n, // above Number.MAX_SAFE_INTEGER: only a BigInt keeps it exact
      digest: new Uint8Array([0xde, 0xad, 0xbe, 0xef, 0x00, 0xff]), // base64 on the wire, atob in the page
    });
    const job = page.locator('#feed .feed-item[data-topic="demo.jobs.backup"]');
    await expect(job.locator('[data-field="files"] > dd > .v-coll > .v-type')).toHaveText('Set(2)');
    await expect(job.locator('[data-field="bytes"] .v-value')).toHaveText('9007199254740993n');
    await expect(job.locator('[data-field="ok"] .v-type')).toHaveText('boolean');
    await expect(job.locator('[data-field="digest"] .v-value')).toHaveText('de ad be ef 00 ff');
    await expect(job.locator('[data-field="digest"] .v-type')).toHaveText('Uint8Array(6)');
    await expect(page.locator('#feed-count')).toHaveText('2');
    // Newest first.
    await expect(page.locator('#feed .feed-item').first()).toHaveAttribute('data-topic', 'demo.jobs.backup');

    // The filter tabs narrow the feed by topic.
    await page.getByRole('button', { name: 'Jobs' }).click();
    await expect(reading).toBeHidden();
    await expect(job).toBeVisible();
    await page.getByRole('button', { name: 'All' }).click();
    await expect(reading).toBeVisible();
    await snapshot(page, 'feed.png');
  });

  test('on load, shows the latest message of each topic at once, marked as replayed', async ({ demo, openPage }) => {
    // Published before the page exists: the page's subscription rewinds one message per topic.
    for (const seq of [1, 2, 3]) await demo.router.publish('demo.sensors.lab', { seq, at: new Date(Date.UTC(2026, 10, 22, 10, 0, seq)) });
    await demo.router.publish('demo.chat', { text: 'before you came', seq: 4 });

    const page = await openPage({ name: 'Browser-late' });
    await subscribed(page, 'Browser-late');
    const items = page.locator('#feed .feed-item');
    await expect(items).toHaveCount(2);
    // The latest of each topic, newest first, both marked.
    await expect(items.nth(0)).toHaveAttribute('data-topic', 'demo.chat');
    await expect(items.nth(1)).toHaveAttribute('data-topic', 'demo.sensors.lab');
    await expect(items.nth(1)).toHaveAttribute('data-seq', '3');
    for (const item of await items.all()) {
      await expect(item).toHaveAttribute('data-replayed', '');
      await expect(item.locator('.feed-replayed')).toHaveText('replayed');
    }

    // A live message goes on top, unmarked.
    await demo.router.publish('demo.sensors.lab', { seq: 5 });
    await expect(items).toHaveCount(3);
    await expect(items.first()).toHaveAttribute('data-seq', '5');
    await expect(items.first()).not.toHaveAttribute('data-replayed');
    await expect(items.first().locator('.feed-replayed')).toHaveCount(0);
    await expect(page.locator('#feed-count')).toHaveText('3');
  });

  test('a message published from the browser reaches a Node subscriber with Date, Map and BigInt intact', async ({ demo, openPage }) => {
    const node = await connect(demo.url, { name: 'Node-listener' });
    try {
      let resolveReceived: (value: { data: unknown; publisher: string }) => void = () => {};
      const received = new Promise<{ data: unknown; publisher: string }>((resolve) => (resolveReceived = resolve));
      await node.subscribe(CHAT_TOPIC, (data, meta) => resolveReceived({ data, publisher: meta.publisher.name }));

      const page = await openPage({ name: 'Browser-chat' });
      await subscribed(page, 'Browser-chat');
      const before = Date.now();
      await page.locator('#publish-text').fill('Hailing frequencies open');
      await page.locator('#publish-mood').selectOption('urgent');
      await page.locator('#publish-form button[type="submit"]').click();

      const { data, publisher } = await received;
      expect(publisher).toBe('Browser-chat');
      const message = data as { text: unknown; sentAt: unknown; tags: unknown; seq: unknown };
      expect(message.text).toBe('Hailing frequencies open');
      expect(message.sentAt).toBeInstanceOf(Date);
      expect((message.sentAt as Date).getTime()).toBeGreaterThanOrEqual(before - 1000);
      expect((message.sentAt as Date).getTime()).toBeLessThanOrEqual(Date.now());
      expect(message.tags).toBeInstanceOf(Map);
      expect(message.tags).toEqual(
        new Map([
          ['from', 'Browser-chat'],
          ['mood', 'urgent'],
        ]),
      );
      expect(typeof message.seq).toBe('bigint');
      expect(message.seq).toBe(1n);

      await expect(page.locator('#publish-status')).toHaveText(/^Sent #1 to demo\.chat at \d\d:\d\d:\d\d \(offset \d+\)$/);
      // The page is subscribed to the feed too: its own message comes back, types and all.
      const echo = page.locator('#feed .feed-item[data-topic="demo.chat"]');
      await expect(echo.locator('[data-field="sentAt"] .v-type')).toHaveText('Date');
      await expect(echo.locator('[data-field="tags"] > dd > .v-coll > .v-type')).toHaveText('Map(2)');
      await expect(echo.locator('[data-field="tags"] .v-entry[data-key="mood"] .v-value')).toHaveText('urgent');
      await expect(echo.locator('[data-field="seq"] .v-value')).toHaveText('1n');
      await expect(echo.locator('[data-field="seq"] .v-type')).toHaveText('BigInt');
    } finally {
      await node.close();
    }
  });
});
