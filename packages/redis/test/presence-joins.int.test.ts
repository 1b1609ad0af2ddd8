/**
 * Presence joins go to Redis in batches (presence-joins.ts), on a real redis-server of the test's
 * own: the joins of one turn of the event loop are one `JOINS` call (EVALSHA), each join settles
 * with its own outcome (one member's failure fails no other), their events come in call order, a
 * leave or a members read asked for after a join reaches Redis after it, joins asked for while a
 * call is in flight go together once it answers, a turn of more than `MAX_BATCH_JOINS` members
 * makes several calls, and a batch that cannot reach Redis rejects each of its joins with
 * ENGINE_UNAVAILABLE and keeps none of them for the node's re-registration.
 */
import { ErrorCode, isHeraldError } from '@herald/protocol';
import { type PresenceEvent, type PresenceMember, silentLogger } from '@herald/server';
import { Log, type RedisServer, startRedisServer } from '@herald/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { type RedisEngine, redisEngine } from '../src/index.js';
import { MAX_BATCH_JOINS } from '../src/presence-joins.js';
import { availability } from './engine-nodes.js';

let redis: RedisServer | undefined;
let engines: RedisEngine[] = [];

afterEach(async () => {
  await Promise.all(engines.map((e) => e.close()));
  await redis?.[Symbol.asyncDispose]();
  [engines, redis] = [[], undefined];
});

/** An engine on the test's Redis and the presence events it receives (`type id`). */
async function node(): Promise<[RedisEngine, Log<string>]> {
  redis ??= await startRedisServer({ own: true });
  // No lease renewal (a script call) during a test: the script calls counted are the joins'.
  const engine = redisEngine({ url: redis.url, prefix: 'joins:', logger: silentLogger, heartbeatIntervalMs: 600_000, leaseMs: 1_200_000 });
  engines.push(engine);
  const events = new Log<string>();
  await engine.start({ onPublication: () => {}, onPresence: (event: PresenceEvent) => events.push(`${event.type} ${event.topic} ${event.member.id}`) });
  return [engine, events];
}

function memberOf(id: string): PresenceMember {
  return { id, name: `name of ${id}`, connectedAt: 1 };
}

/** Redis's count of script calls since the server started (ioredis sends a script's first call as EVAL). */
async function scriptCalls(): Promise<number> {
  const info = await redis!.command('INFO', 'commandstats');
  const of = (command: string): number => Number(new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(info)?.[1] ?? 0);
  return of('eval') + of('evalsha');
}

describe('presence joins in batches', { timeout: 30_000 }, () => {
  it('the joins of one turn are one call; each settles with its own outcome; their events come in call order', async () => {
    const [engine, events] = await node();
    // A member hash that is not a hash: the join of `bad` fails in Redis (WRONGTYPE), the others not.
    await redis!.command('SET', 'joins:pm:bad', 'not a hash');
    const before = await scriptCalls();
    const ids = Array.from({ length: 100 }, (_, i) => `m${i}`);
    const joins = ids.map((id, i) => engine.join(i === 50 ? 'bad' : 'room', memberOf(id)));
    const outcomes = await Promise.allSettled(joins);
    expect(outcomes.map((o) => o.status)).toEqual(ids.map((_, i) => (i === 50 ? 'rejected' : 'fulfilled')));
    const failure = (outcomes[50] as PromiseRejectedResult).reason as Error;
    expect(isHeraldError(failure, ErrorCode.ENGINE_UNAVAILABLE)).toBe(false);
    expect(failure.message).toContain('WRONGTYPE');
    expect((await scriptCalls()) - before).toBe(1);
    expect(engine.presence.joins.counters).toEqual({ batches: 1, joins: 100 });

    const joined = ids.filter((_, i) => i !== 50);
    expect((await engine.members('room')).map((m) => m.id)).toEqual(joined);
    await events.until(joined.length);
    expect(events.values).toEqual(joined.map((id) => `join room ${id}`));

    // Joined again (in one turn): nothing changes, nothing is told.
    await Promise.all(joined.map((id) => engine.join('room', memberOf(id))));
    expect(engine.presence.joins.counters).toEqual({ batches: 2, joins: 199 });
    // The failed join was not kept: the node's re-registration (after a Redis restart) leaves `bad` alone.
    await engine.presence.reregister();
    expect(await redis!.command('TYPE', 'joins:pm:bad')).toContain('string');
    expect((await engine.members('room')).map((m) => m.id)).toEqual(joined);
    await engine.join('marker', memberOf('mark')); // its event comes after any the rejoins made
    await events.until(joined.length + 1);
    expect(events.values.slice(joined.length)).toEqual(['join marker mark']);
  });

  it('joins asked for while a call is in flight go together once it answers, whatever the turns they came in', async () => {
    const [engine, events] = await node();
    await redis!.command('CLIENT', 'PAUSE', '60000', 'WRITE'); // holds the scripts until UNPAUSE
    const before = await scriptCalls();
    const joins = [engine.join('room', memberOf('x'))];
    await new Promise<void>((resolve) => setImmediate(resolve)); // x's call goes out, and waits
    for (const id of ['y', 'z']) {
      joins.push(engine.join('room', memberOf(id)));
      await new Promise<void>((resolve) => setImmediate(resolve)); // a turn of its own each
    }
    expect(engine.presence.joins.counters).toEqual({ batches: 1, joins: 1 });
    await redis!.command('CLIENT', 'UNPAUSE');
    await Promise.all(joins);
    expect(engine.presence.joins.counters).toEqual({ batches: 2, joins: 3 });
    expect((await scriptCalls()) - before).toBe(2);
    await events.until(3);
    expect(events.values).toEqual(['join room x', 'join room y', 'join room z']);
  });

  it('a leave or a members read asked for after a join reaches Redis after it', async () => {
    const [engine, events] = await node();
    const x = engine.join('room', memberOf('x'));
    const leave = engine.leave('room', 'x', 'unsubscribed'); // same turn as the join
    const y = engine.join('room', memberOf('y'));
    const read = engine.members('room'); // same turn: sends y's join first
    await Promise.all([x, leave, y]);
    expect((await read).map((m) => m.id)).toEqual(['y']);
    await events.until(3);
    expect(events.values).toEqual(['join room x', 'leave room x', 'join room y']);
    expect((await engine.members('room')).map((m) => m.id)).toEqual(['y']);
  });

  it(`more than ${MAX_BATCH_JOINS} joins in a turn: several calls, every member once, in order`, async () => {
    const [engine, events] = await node();
    const before = await scriptCalls();
    const ids = Array.from({ length: 2 * MAX_BATCH_JOINS + 76 }, (_, i) => `m${i}`);
    await Promise.all(ids.map((id) => engine.join('big', memberOf(id))));
    expect((await scriptCalls()) - before).toBe(3);
    expect(engine.presence.joins.counters).toEqual({ batches: 3, joins: ids.length });
    expect((await engine.members('big')).map((m) => m.id)).toEqual(ids);
    await events.until(ids.length);
    expect(events.values).toEqual(ids.map((id) => `join big ${id}`));
  });

  it('a batch that cannot reach Redis rejects each join with ENGINE_UNAVAILABLE and keeps none of them', async () => {
    const [engine] = await node();
    await engine.join('room', memberOf('kept'));
    const joins = ['a', 'b', 'c'].map((id) => engine.join('room', memberOf(id)));
    engine.cmd.disconnect(true); // before the end of the turn: the batch meets a closed connection
    const outcomes = await Promise.allSettled(joins);
    for (const outcome of outcomes) {
      expect(outcome.status).toBe('rejected');
      expect(isHeraldError((outcome as PromiseRejectedResult).reason, ErrorCode.ENGINE_UNAVAILABLE)).toBe(true);
    }
    await availability(engine, false);
    await availability(engine, true);
    await engine.presence.reregister(); // what a Redis that lost the members would get back
    expect((await engine.members('room')).map((m) => m.id)).toEqual(['kept']);
  });
});
