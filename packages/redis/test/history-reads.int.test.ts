/**
 * Shared history reads (history-reads.ts) under routers on a real redis-server: clients recovering
 * one topic from one position at once (a reconnect storm) make one Redis read and each gets what it
 * missed, once, in order; a read is never shared past what makes it stale (a publication of the
 * topic reaching the node, the node leaving the topic's channel); an error reaches every waiter.
 */
import { ErrorCode } from '@herald/protocol';
import type { Router } from '@herald/server';
import { type RawClient, type RedisServer, startRedisServer } from '@herald/testkit';
import { describe, expect, it } from 'vitest';
import type { RedisEngine } from '../src/index.js';
import { engineNodes, messages } from './engine-nodes.js';

const { own, node: engineNode, client } = engineNodes();
let redis: RedisServer;
let cluster = 0;
const TOPIC = 'storm.t';

/** Two routers on a fresh Redis; `holder` on b keeps b subscribed to the topic; 3 messages published. */
async function cluster3(): Promise<{ a: Router; b: Router; engineB: RedisEngine; holder: RawClient; epoch: string; prefix: string }> {
  redis = own(await startRedisServer({ own: true }));
  const prefix = `shared${++cluster}:`;
  const [a] = await engineNode('a', { url: redis.url, prefix });
  const [b, engineB] = await engineNode('b', { url: redis.url, prefix });
  const holder = await client(b, 'holder');
  holder.send({ type: 'subscribe', id: 1, pattern: TOPIC });
  await holder.nextOf('subscribed');
  for (let i = 1; i <= 3; i++) await a.publish(TOPIC, i);
  const got = await messages(holder, 3);
  expect(got.map((m) => m.offset)).toEqual([1, 2, 3]);
  return { a, b, engineB, holder, epoch: got[0]!.epoch, prefix };
}

/** Redis's count of XRANGE calls (every HISTORY read makes two: the stream's first entry and the range). */
async function xranges(): Promise<number> {
  return Number(/cmdstat_xrange:calls=(\d+)/.exec(await redis.command('INFO', 'commandstats'))?.[1] ?? 0);
}

/** Sends `c` a recovery from `offset` of the topic and returns its replayed offsets and `subscribed`. */
function recover(c: RawClient, epoch: string, offset: number): void {
  c.send({ type: 'subscribe', id: 7, pattern: TOPIC, positions: [[TOPIC, epoch, offset]], since: 0 });
}

async function recovered(c: RawClient): Promise<{ offsets: number[]; subscribed: unknown }> {
  const offsets: number[] = [];
  for (;;) {
    const frame = await c.next();
    if (frame.type === 'message') {
      expect(frame.replay).toBe(7);
      offsets.push(frame.offset);
    } else return { offsets, subscribed: frame };
  }
}

describe('history reads shared by identical recoveries', () => {
  it('30 clients recovering one topic from one position at once: one Redis read, each gets 2 and 3 once, recovered', async () => {
    const { b, engineB, epoch } = await cluster3();
    const clients = await Promise.all(Array.from({ length: 30 }, (_, i) => client(b, `moved${i}`)));
    const before = await xranges();
    const made = engineB.historyReads.counters.made;
    for (const c of clients) recover(c, epoch, 1);
    const results = await Promise.all(clients.map(recovered));
    for (const result of results) {
      expect(result.offsets).toEqual([2, 3]);
      expect(result.subscribed).toMatchObject({ type: 'subscribed', id: 7, recovered: true });
    }
    expect(engineB.historyReads.counters.made - made).toBe(1);
    expect((await xranges()) - before).toBe(2);
    for (const c of clients) expect(await c.drain()).toEqual([]);
  });

  it('is not shared past a publication of the topic reaching the node: a later recovery gets it from history', async () => {
    const { a, b, holder, epoch } = await cluster3();
    const first = await client(b, 'first');
    recover(first, epoch, 1);
    expect((await recovered(first)).offsets).toEqual([2, 3]);
    await a.publish(TOPIC, 4);
    expect((await messages(holder, 1))[0]!.offset).toBe(4); // b handed 4 on: the read of 2–3 is stale
    expect((await messages(first, 1))[0]!.offset).toBe(4);
    const later = await client(b, 'later');
    const before = await xranges();
    recover(later, epoch, 1);
    const result = await recovered(later);
    expect(result.offsets).toEqual([2, 3, 4]);
    expect(result.subscribed).toMatchObject({ recovered: true });
    expect((await xranges()) - before).toBe(2);
  });

  it('is not shared once the node left the topic\'s channel: what was published meanwhile is recovered', async () => {
    const { a, b, holder, epoch } = await cluster3();
    const first = await client(b, 'first');
    recover(first, epoch, 1);
    expect((await recovered(first)).offsets).toEqual([2, 3]);
    // Nobody on b follows the topic any more: b leaves its channel and does not see 4.
    for (const c of [holder, first]) {
      c.send({ type: 'unsubscribe', id: 9, pattern: TOPIC });
      await c.nextOf('unsubscribed');
    }
    await a.publish(TOPIC, 4);
    const later = await client(b, 'later');
    recover(later, epoch, 1);
    const result = await recovered(later);
    expect(result.offsets).toEqual([2, 3, 4]);
    expect(result.subscribed).toMatchObject({ recovered: true });
  });

  it('an error of the shared read reaches every waiting recovery; the next one reads again', async () => {
    const { b, engineB, epoch, prefix } = await cluster3();
    // The topic's stream is not a stream any more: XRANGE fails (WRONGTYPE) inside the script.
    await redis.command('DEL', `${prefix}s:${TOPIC}`);
    await redis.command('SET', `${prefix}s:${TOPIC}`, 'not a stream');
    b.on('error', () => {}); // the router reports engine failures as events
    const clients = await Promise.all(Array.from({ length: 10 }, (_, i) => client(b, `moved${i}`)));
    const made = engineB.historyReads.counters.made;
    for (const c of clients) recover(c, epoch, 1);
    for (const c of clients) expect(await c.nextOf('error')).toMatchObject({ id: 7, code: ErrorCode.INTERNAL_ERROR });
    expect(engineB.historyReads.counters.made - made).toBe(1);
    expect(engineB.historyReads.size).toBe(0);
    await redis.command('DEL', `${prefix}s:${TOPIC}`);
    const later = await client(b, 'later');
    recover(later, epoch, 3);
    expect(await recovered(later)).toMatchObject({ offsets: [], subscribed: { recovered: true } });
    expect(engineB.historyReads.counters.made - made).toBe(2);
  });
});
