import { silentLogger } from '@herald/server';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RedisEngine } from './redis-engine.js';
import { RejoinWait } from './rejoin-wait.js';

/** The engine as the wait sees it: its node id, its lease's peers, its logger. */
function engine(peers: string[]): RedisEngine {
  return { nodeId: 'me', logger: silentLogger, lease: { peers }, keys: { prefix: 't:' } } as unknown as RedisEngine;
}

/** Whether `promise` settled once the microtasks ran. */
async function settledNow(promise: Promise<void>): Promise<boolean> {
  let done = false;
  void promise.then(() => (done = true));
  await vi.advanceTimersByTimeAsync(0);
  return done;
}

beforeEach(() => void vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] }));
afterEach(() => void vi.useRealTimers());

describe('RejoinWait', () => {
  it('waits for nobody when no other node was alive (this one is not waited for)', async () => {
    const wait = new RejoinWait(engine(['me']), 3000);
    wait.begin('r1', ['me']);
    expect(wait.waiting).toBe(false);
    expect(await settledNow(wait.settled())).toBe(true);
  });

  it('ends when every expected node rejoined this master, or when one is declared dead; rejoins of another master do not count', async () => {
    const wait = new RejoinWait(engine(['me', 'a', 'c']), 3000);
    wait.begin('r1', ['me', 'a', 'c']);
    const read = wait.settled();
    expect(wait.onEvent('rejoined\na\nr0')).toBe(true); // an older master's
    expect(wait.onEvent('rejoined\na\nr1')).toBe(true);
    expect(await settledNow(read)).toBe(false);
    expect(wait.onEvent('node_dead\nc')).toBe(false); // the cluster's other handlers see it too
    expect(await settledNow(read)).toBe(true);
    expect(wait.waiting).toBe(false);
  });

  it('ends after boundMs however many reads wait (one timer), and a later master supersedes the wait', async () => {
    const wait = new RejoinWait(engine(['me', 'a']), 3000);
    wait.begin('r1', ['me', 'a']);
    const reads = [wait.settled(), wait.settled(), wait.settled()];
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(2000);
    wait.begin('r1', ['me', 'a']); // the same master again (a setup retried): the wait goes on as it was
    wait.begin('r2', ['me', 'a']); // a new master: a new wait of its own, the reads go on waiting
    expect(vi.getTimerCount()).toBe(1);
    for (const read of reads) expect(await settledNow(read)).toBe(false);
    await vi.advanceTimersByTimeAsync(2999);
    expect(await settledNow(Promise.all(reads).then(() => undefined))).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await settledNow(Promise.all(reads).then(() => undefined))).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a node declared dead is not waited for at the next restart', () => {
    const e = engine(['me', 'a', 'c']);
    const wait = new RejoinWait(e, 3000);
    wait.onEvent('node_dead\nc');
    expect(e.lease.peers).toEqual(['me', 'a']);
  });

  it('stop ends the wait', async () => {
    const wait = new RejoinWait(engine(['me', 'a']), 3000);
    wait.begin('r1', ['me', 'a']);
    const read = wait.settled();
    wait.stop();
    expect(await settledNow(read)).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });
});
