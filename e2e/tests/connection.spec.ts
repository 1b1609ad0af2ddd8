import { POLL_INTERVALS, expect, expectPresenceInSync, snapshot, test } from './fixtures.js';
import { lastSeq, readingSeqs } from './feed-readings.js';

test.describe('connection state', () => {
  test('shows open, then reconnecting while the router is down, then open again', async ({ demo, openPage, allowConnectionErrors }) => {
    const page = await openPage({ name: 'Browser-state' });
    await expect(page.locator('#state')).toHaveText('open');
    await expect(page.locator('#state-pill')).toHaveAttribute('data-state', 'open');
    await expect(page.locator('#self-name')).toHaveText('Browser-state');
    await expectPresenceInSync(page, demo.router, ['Browser-state']);
    await expect(page.locator('#publish-text')).toBeEnabled();

    // The browser reports each refused reconnect attempt on its console; that is expected here.
    allowConnectionErrors();
    await demo.stopRouter();
    await expect(page.locator('#state')).toHaveText('reconnecting');
    await expect(page.locator('#state-pill')).toHaveAttribute('data-state', 'reconnecting');
    // 1012: the router is restarting. The detail names the attempt and its delay, from the client's `reconnect` event.
    await expect(page.locator('#state-detail')).toHaveText(/^the router closed the connection \(1012\) · attempt \d+ \(waits \d+ ms\), /);
    await expect(page.locator('#state-pill')).toHaveAttribute('data-attempt', /^\d+$/);
    // Publishing still works while reconnecting: the client queues it.
    await expect(page.locator('#publish-text')).toBeEnabled();
    await expect(page.locator('#reconnect')).toBeHidden();

    await demo.startRouter();
    await expect(page.locator('#state')).toHaveText('open');
    await expect(page.locator('#state-detail')).toHaveText('welcomed by the router');
    await expect(page.locator('#state-pill')).not.toHaveAttribute('data-attempt');
    // Back in presence on the new router, under a new id, still marked as this page.
    await expectPresenceInSync(page, demo.router, ['Browser-state']);
    await expect(page.locator('[data-self]')).toHaveAttribute('data-member-name', 'Browser-state');
    await expect(page.locator('[data-self]')).toHaveAttribute('data-member-id', demo.router.clients()[0]!.id);
    // The page had received nothing on the feed, so nothing can be missing.
    await expect(page.locator('#recovery')).toHaveAttribute('data-recovered', 'true');
    await expect(page.locator('#recovery-text')).toHaveText('Back online: nothing was missed.');
    await page.locator('#recovery-dismiss').click();
    await expect(page.locator('#recovery')).toBeHidden();
  });

  test('shows closed when the router closes the connection for good', async ({ demo, openPage }) => {
    const page = await openPage({ name: 'Browser-closed' });
    await expect(page.locator('#state')).toHaveText('open');
    await expect(page.locator('#reconnect')).toBeHidden();
    await expect.poll(() => demo.router.clients().map((client) => client.name), { intervals: POLL_INTERVALS }).toEqual(['Browser-closed']);

    // Close code 1000 is final: the client does not reconnect.
    expect(demo.router.disconnect(demo.router.clients()[0]!.id, { reason: 'e2e: goodbye' })).toBe(true);
    await expect(page.locator('#state')).toHaveText('closed');
    await expect(page.locator('#state-pill')).toHaveAttribute('data-state', 'closed');
    await expect(page.locator('#state-detail')).toHaveText('the router closed the connection (1000)');
    await expect(page.locator('#publish-text')).toBeDisabled();
    await expect(page.locator('#request-stats')).toBeDisabled();
    await expect(page.locator('#reconnect')).toBeVisible();
    await snapshot(page, 'closed.png');

    await page.locator('#reconnect').click();
    await expect(page.locator('#state')).toHaveText('open');
  });

  test.describe('with the sensor publisher', () => {
    // A reading every 200 ms, rooms in turn, each with the next seq; no job reports to get in the way.
    test.use({ demoOptions: { publisher: { intervalMs: 200, jobEvery: 1_000_000 } } });

    test('the router is restarted: the page shows reconnecting, then open, with no missing messages', async ({
      demo,
      openPage,
      allowConnectionErrors,
    }) => {
      const publisher = demo.publisher!;
      const page = await openPage({ name: 'Browser-restart' });
      await expect(page.locator('#state')).toHaveText('open');
      await expect.poll(() => lastSeq(page), { message: 'readings before the restart', intervals: POLL_INTERVALS }).toBeGreaterThanOrEqual(3);

      allowConnectionErrors();
      await demo.stopRouter();
      const seqAtStop = publisher.seq;
      await expect(page.locator('#state')).toHaveText('reconnecting');
      await expect(page.locator('#state-detail')).toHaveText(/attempt \d+/);
      // The publisher keeps going: its readings wait in its client's offline queue.
      await expect.poll(() => publisher.seq, { message: 'readings published while the router is down', intervals: POLL_INTERVALS }).toBeGreaterThanOrEqual(seqAtStop + 3);
      expect(publisher.client.state).toBe('reconnecting');
      expect(publisher.pending).toBeGreaterThanOrEqual(3);
      await snapshot(page, 'reconnecting.png');
      const seqAtStart = publisher.seq;
      await demo.startRouter();

      await expect(page.locator('#state')).toHaveText('open');
      await expect.poll(() => lastSeq(page), { message: 'readings after the restart', intervals: POLL_INTERVALS }).toBeGreaterThanOrEqual(seqAtStart + 3);
      await publisher.stop();
      const last = publisher.seq;
      await expect.poll(() => lastSeq(page), { message: 'the last reading', intervals: POLL_INTERVALS }).toBe(last);

      // Every reading exactly once and in order, from before the stop, during the downtime and after the start.
      const seqs = await readingSeqs(page);
      const first = seqs[0]!;
      expect(first).toBeLessThanOrEqual(seqAtStop - 2);
      expect(seqs).toEqual(Array.from({ length: last - first + 1 }, (_, index) => first + index));
      expect(last).toBeGreaterThan(seqAtStart);
      await expect(page.locator('#feed-count')).toHaveText(String(await page.locator('#feed .feed-item').count()));

      // A new router has a new history: the subscription says messages may be missing (none were here).
      const recovery = page.locator('#recovery');
      await expect(recovery).toBeVisible();
      await expect(recovery).toHaveAttribute('data-recovered', 'false');
      await expect(recovery).toHaveAttribute('data-reason', 'epoch_changed');
      await expect(recovery).toContainText('demo.sensors.');
      await snapshot(page, 'restarted.png');
    });
  });
});
