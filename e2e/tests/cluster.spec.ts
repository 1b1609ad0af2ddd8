import { POLL_INTERVALS, expect, test } from './fixtures.js';
import { lastSeq, readingSeqs } from './feed-readings.js';

test.describe('cluster demo (--cluster 2)', () => {
  // Two routers over the demo's own redis-server; a reading every 200 ms, no job reports.
  test.use({ demoOptions: { cluster: 2, publisher: { intervalMs: 200, jobEvery: 1_000_000 } } });

  test('a router is killed: the page moves to the other router and the feed has no gap', async ({ demo, openPage, consoleErrors }) => {
    const cluster = demo.cluster!;
    expect(cluster.urls).toHaveLength(2);
    // The browser reports a refused attempt on the killed router's URL: expected here.
    consoleErrors.allow = new RegExp(`^WebSocket connection to '(${cluster.urls.map((url) => url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})' failed: `);
    const page = await openPage({ name: 'Browser-cluster' });
    await expect(page.locator('#state')).toHaveText('open');
    await expect(page.locator('#cluster-panel')).toBeVisible();
    await expect(page.locator('#cluster-list .cluster-router')).toHaveCount(2);
    const onRouter = () => cluster.routers().find((router) => router.members.includes('Browser-cluster'))?.name;
    await expect.poll(onRouter, { intervals: POLL_INTERVALS }).toBeDefined();
    const before = onRouter()!;
    await expect(page.locator(`#cluster-list [data-router="${before}"]`)).toContainText('Browser-cluster (you)');
    await expect.poll(() => lastSeq(page), { message: 'readings before the kill', intervals: POLL_INTERVALS }).toBeGreaterThanOrEqual(3);

    // Kill the page's router (the button kills the busiest one; the test picks this one by name).
    expect(await cluster.kill(before, 60_000)).toBe(before);
    const seqAtKill = demo.publisher!.seq;
    const after = before === 'router-1' ? 'router-2' : 'router-1';
    await expect.poll(onRouter, { message: 'the page moved to the other router', intervals: POLL_INTERVALS }).toBe(after);
    await expect(page.locator('#state')).toHaveText('open');
    await expect(page.locator(`#cluster-list [data-router="${before}"]`)).toContainText('down');
    await expect(page.locator(`#cluster-list [data-router="${after}"]`)).toContainText('Browser-cluster (you)');
    await expect(page.locator('#recovery')).toHaveAttribute('data-recovered', 'true');

    // Every reading, before, during and after the move, once and in order.
    await expect.poll(() => lastSeq(page), { message: 'readings after the move', intervals: POLL_INTERVALS }).toBeGreaterThanOrEqual(seqAtKill + 3);
    const seqs = await readingSeqs(page);
    const first = seqs[0]!;
    expect(first).toBeLessThan(seqAtKill);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, index) => first + index));

    // The page's button kills the busiest router that is up: the only one left.
    await page.locator('#cluster-kill').click();
    await expect(page.locator('#cluster-status')).toHaveText(`${after} killed: its clients move; back in 5 s`);
  });
});
