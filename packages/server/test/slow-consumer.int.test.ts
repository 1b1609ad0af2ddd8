/**
 * Slow consumers (PROTOCOL.md section 8): a connection may have at most `maxBufferedBytes` written
 * and not yet taken by the network. A subscriber past it is closed with 4200 (`SLOW_CONSUMER`) and
 * gets nothing more; the others are not held back. Replays wait for the socket instead.
 *
 * A paused socket (`socket.pause()`) stops reading: the kernel's socket buffers fill first (a few
 * MiB on loopback), then the router's own buffer. So the stream is large enough (2,000 × 8 KiB)
 * to pass both.
 */
import { type Client, type Recovery, type StateChange, connect } from '@herald/client';
import { type DefaultSchema, decodeServerFrame } from '@herald/protocol';
import { deferred, disconnectOf, nextEvent, RawClient, startRouter } from '@herald/testkit';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { Logger } from '../src/index.js';

/** The router type `startRouter` returns (the testkit sees the server through its build). */
type Router = Awaited<ReturnType<typeof startRouter<DefaultSchema>>>;

const LIMIT = 256 * 1024;
const TOTAL = 2000;
const FAST = 5;
const TOPIC = 'load';
const PAD = 'x'.repeat(8 * 1024);
const WINDOW = 16;

interface Load {
  i: number;
  /** `performance.now()` when published (publisher and subscribers share this process). */
  sentAt: number;
  pad: string;
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** A logger that reports the router's slow-consumer line: the one that carries `bufferedBytes`. */
function slowConsumerLog(): { logger: Logger; first: Promise<Readonly<Record<string, unknown>>>; count(): number } {
  const first = deferred<Readonly<Record<string, unknown>>>();
  let count = 0;
  const logger: Logger = {
    log(level, _message, context) {
      if (level !== 'warn' || context?.bufferedBytes === undefined) return;
      count++;
      first.resolve(context);
    },
  };
  return { logger, first: first.promise, count: () => count };
}

/** Publishes `count` messages, at most `window` unacknowledged at a time. */
async function publishAll(pub: Client, topic: string, count: number, make: (i: number) => unknown, window = WINDOW) {
  const acks = [];
  for (let start = 0; start < count; start += window) {
    const batch = [];
    for (let i = start; i < Math.min(count, start + window); i++) batch.push(pub.publish(topic, make(i)));
    acks.push(...(await Promise.all(batch)));
  }
  return acks;
}

const load = (i: number): Load => ({ i, sentAt: performance.now(), pad: PAD });

/** Offsets received by a handler, awaitable by count. */
class Tally {
  readonly offsets: number[] = [];
  readonly latencies: number[] = [];
  #waiter: { count: number; resolve: () => void } | undefined;

  add(offset: number, latency?: number): void {
    this.offsets.push(offset);
    if (latency !== undefined) this.latencies.push(latency);
    if (this.#waiter !== undefined && this.offsets.length >= this.#waiter.count) this.#waiter.resolve();
  }

  until(count: number): Promise<void> {
    if (this.offsets.length >= count) return Promise.resolve();
    return new Promise((resolve) => (this.#waiter = { count, resolve }));
  }
}

async function fastSubscriber(router: Router, name: string): Promise<{ client: Client; tally: Tally }> {
  const client = await connect(router.url, { name });
  const tally = new Tally();
  await client.subscribe(TOPIC, (data, meta) => tally.add(meta.offset, performance.now() - (data as Load).sentAt));
  return { client, tally };
}

const disposeAll = (clients: Client[]): AsyncDisposable => ({
  [Symbol.asyncDispose]: async () => {
    await Promise.all(clients.map((client) => client.close()));
  },
});

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

interface Figures {
  perSecond: number;
  p50: number;
  p99: number;
  /** With the slow subscriber: what it got before the close. */
  slow?: { messages: number; bytes: number; bufferedAtCut: number };
}

/**
 * FAST API subscribers and, with `withSlow`, one raw subscriber that stops reading; a publisher
 * streams TOTAL messages. Checks what must hold and returns the figures.
 */
async function isolationRun(withSlow: boolean): Promise<Figures> {
  const log = slowConsumerLog();
  await using router = await startRouter({ maxBufferedBytes: LIMIT, maxPayload: LIMIT / 4, logger: log.logger });
  const fast = await Promise.all(Array.from({ length: FAST }, (_, i) => fastSubscriber(router, `fast-${i}`)));
  await using _fast = disposeAll(fast.map((f) => f.client));
  await using watch = await RawClient.welcomed(router.url, { name: 'watcher' });
  watch.send({ type: 'presence_watch', id: 1, topic: TOPIC });
  await watch.nextOf('presence_state');
  await using slow = withSlow ? await RawClient.subscribed(router.url, TOPIC, { name: 'slow' }) : undefined;
  const gone = disconnectOf(router, 'slow');
  if (slow !== undefined) {
    slow.socket.pause();
    // Read again as soon as the router gives up on it, to see what it was sent and its close frame.
    void log.first.then(() => slow.socket.resume());
  }
  await using pub = await connect(router.url, { name: 'publisher' });

  const started = performance.now();
  await publishAll(pub, TOPIC, TOTAL, load);
  await Promise.all(fast.map((f) => f.tally.until(TOTAL)));
  const seconds = (performance.now() - started) / 1000;

  // Every fast subscriber got everything, in order, once.
  for (const { tally } of fast) expect(tally.offsets).toEqual(range(1, TOTAL));
  const latencies = fast.flatMap((f) => f.tally.latencies).sort((a, b) => a - b);
  const figures: Figures = { perSecond: TOTAL / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };

  if (slow === undefined) {
    expect(router.stats().slowConsumers).toBe(0);
    return figures;
  }
  const cut = await log.first;
  const closed = await slow.closed;
  expect(closed.code).toBe(4200);
  expect(closed.reason.startsWith('SLOW_CONSUMER')).toBe(true);
  // What it read before the close frame: a prefix of the stream, in order, and nothing after the cut.
  const offsets: number[] = [];
  let bytes = 0;
  let largest = 0;
  while (slow.queued > 0) {
    const frame = await slow.nextRaw();
    bytes += Buffer.byteLength(frame);
    largest = Math.max(largest, Buffer.byteLength(frame));
    const decoded = decodeServerFrame(frame);
    if (!decoded.ok || decoded.value.type !== 'message') throw new Error(`expected a message, got ${frame.slice(0, 200)}`);
    offsets.push(decoded.value.offset);
  }
  expect(offsets.length).toBeGreaterThan(0);
  expect(offsets.length).toBeLessThan(TOTAL);
  expect(offsets).toEqual(range(1, offsets.length));
  // The router's buffer for it never held more than the limit plus the frame that crossed it.
  expect(cut.bufferedBytes).toEqual(expect.any(Number));
  expect(cut.bufferedBytes as number).toBeLessThanOrEqual(LIMIT + largest);

  const [client, detail] = await gone;
  expect(client.id).toBe(slow.welcome!.id);
  expect(detail).toMatchObject({ code: 4200, leave: 'dropped' });
  const leave = await watch.nextOf('presence_leave');
  expect(leave).toMatchObject({ topic: TOPIC, member: { id: slow.welcome!.id }, reason: 'dropped' });
  expect((await router.presence(TOPIC)).map((m) => m.id).sort()).toEqual(fast.map((f) => f.client.id).sort());
  expect(router.stats().slowConsumers).toBe(1);
  expect(log.count()).toBe(1);
  figures.slow = { messages: offsets.length, bytes, bufferedAtCut: cut.bufferedBytes as number };
  return figures;
}

const ms = (value: number): string => `${value.toFixed(2)} ms`;
const ratio = (a: number, b: number): string => (b > 0 ? (a / b).toFixed(2) : 'n/a');

// Three runs of 2,000 messages of 8 KB to five subscribers (48 MB through loopback): 5 s at load
// ~6 on this 2-core machine. The timeout only catches a hang; the figures are printed, not asserted.
describe('slow consumer isolation', { timeout: 60_000 }, () => {
  it('cuts a subscriber that stops reading (4200) and delivers everything to the others, in order', async () => {
    await isolationRun(false); // warm-up, so that both measured runs meet a warm JIT
    const without = await isolationRun(false);
    const withSlow = await isolationRun(true);
    const frame = PAD.length;
    console.log(
      [
        `slow-consumer isolation: ${FAST} fast API subscribers, ${TOTAL} messages of ~${frame} B, maxBufferedBytes ${LIMIT} B, ${WINDOW} publishes in flight`,
        `  without the slow subscriber: ${without.perSecond.toFixed(0)} msg/s, latency p50 ${ms(without.p50)}, p99 ${ms(without.p99)}`,
        `  with one paused subscriber:  ${withSlow.perSecond.toFixed(0)} msg/s, latency p50 ${ms(withSlow.p50)}, p99 ${ms(withSlow.p99)}`,
        `  ratio with/without: throughput ${ratio(withSlow.perSecond, without.perSecond)}, p50 ${ratio(withSlow.p50, without.p50)}, p99 ${ratio(withSlow.p99, without.p99)}`,
        `  the paused subscriber was sent ${withSlow.slow?.messages} messages (${withSlow.slow?.bytes} B, most of them held by the kernel's socket buffers) before 4200; router buffer at the cut: ${withSlow.slow?.bufferedAtCut} B`,
      ].join('\n'),
    );
  });

  it('keeps a subscriber that reads in bursts, as long as its buffer stays under the limit', async () => {
    await using router = await startRouter({ maxBufferedBytes: LIMIT, maxPayload: LIMIT / 4 });
    await using pub = await connect(router.url, { name: 'publisher' });
    await using lagging = await RawClient.subscribed(router.url, TOPIC, { name: 'lagging' });
    const BATCH = 16; // 16 × 8 KiB = 128 KiB at a time, half the limit; 16 MiB in all
    const offsets: number[] = [];
    for (let start = 0; start < TOTAL; start += BATCH) {
      lagging.socket.pause();
      await publishAll(pub, TOPIC, BATCH, load); // acknowledged: handed to its socket
      lagging.socket.resume();
      for (let i = 0; i < BATCH; i++) {
        const message = await lagging.next();
        if (message.type !== 'message') throw new Error(`expected a message, got ${message.type}`);
        offsets.push(message.offset);
      }
    }
    expect(offsets).toEqual(range(1, TOTAL));
    expect(router.stats().slowConsumers).toBe(0);
    expect(await lagging.drain()).toEqual([]);
    expect(router.clients().map((c) => c.name).sort()).toEqual(['lagging', 'publisher']);
  });
});

describe('replays and the outbound limit', () => {
  const REPLAYED = 5000;
  const KIB = 'r'.repeat(1024);

  async function publishHistory(router: Router, topic: string): Promise<string> {
    await using pub = await connect(router.url, { name: 'publisher' });
    const acks = await publishAll(pub, topic, REPLAYED, (i) => ({ i, pad: KIB }), 64);
    return acks[0]!.epoch;
  }

  /** Reads replayed messages for subscribe `id` until its `subscribed`; returns both. */
  async function readReplay(raw: RawClient, id: number): Promise<{ offsets: number[]; subscribed: unknown }> {
    const offsets: number[] = [];
    for (;;) {
      const message = await raw.next();
      if (message.type === 'subscribed') return { offsets, subscribed: message };
      if (message.type !== 'message' || message.replay !== id) throw new Error(`expected a replayed message, got ${JSON.stringify(message)}`);
      offsets.push(message.offset);
    }
  }

  it('replays 5,000 messages of 1 KiB to a recovering subscriber through a 256 KiB buffer without cutting it', async () => {
    await using router = await startRouter({ maxBufferedBytes: LIMIT, maxPayload: LIMIT / 4, history: { limit: 10_000, ttlMs: 600_000 } });
    const epoch = await publishHistory(router, 'replay.t');
    await using sub = await RawClient.welcomed(router.url, { name: 'recovering' });
    sub.send({ type: 'subscribe', id: 7, pattern: 'replay.t', positions: [['replay.t', epoch, 0]] });
    const { offsets, subscribed } = await readReplay(sub, 7);
    expect(offsets).toEqual(range(1, REPLAYED));
    expect(subscribed).toEqual({ type: 'subscribed', id: 7, pattern: 'replay.t', at: expect.any(Number), recovered: true });
    expect(router.stats().slowConsumers).toBe(0);
    expect(await sub.drain()).toEqual([]);
  });

  it('rewinds 5,000 messages of 1 KiB through a 256 KiB buffer without cutting the subscriber', async () => {
    await using router = await startRouter({ maxBufferedBytes: LIMIT, maxPayload: LIMIT / 4, history: { limit: 10_000, ttlMs: 600_000 } });
    await publishHistory(router, 'replay.t');
    await using sub = await RawClient.welcomed(router.url, { name: 'dashboard' });
    sub.send({ type: 'subscribe', id: 3, pattern: 'replay.*', rewind: REPLAYED });
    const { offsets, subscribed } = await readReplay(sub, 3);
    expect(offsets).toEqual(range(1, REPLAYED));
    expect(subscribed).toEqual({ type: 'subscribed', id: 3, pattern: 'replay.*', at: expect.any(Number) });
    expect(router.stats().slowConsumers).toBe(0);
  });
});

describe('a slow API client', () => {
  it('is cut with 4200, reconnects, and recovers every message from history, once and in order', async () => {
    const log = slowConsumerLog();
    await using router = await startRouter({ maxBufferedBytes: LIMIT, maxPayload: LIMIT / 4, history: { limit: 5000, ttlMs: 600_000 }, logger: log.logger });
    const sockets: WebSocket[] = [];
    class PausableSocket extends WebSocket {
      constructor(url: string, protocols?: string | string[]) {
        super(url, protocols);
        sockets.push(this);
      }
    }
    await using slow = await connect(router.url, { name: 'slow', WebSocket: PausableSocket, random: () => 0 });
    const changes: StateChange[] = [];
    slow.on('statechange', (change) => changes.push(change));
    const tally = new Tally();
    const sub = await slow.subscribe(TOPIC, (_data, meta) => tally.add(meta.offset));
    const recovered = nextEvent<[Recovery]>((listener) => sub.on('recovery', listener));
    const first = sockets[0]!;
    first.pause();
    void log.first.then(() => first.resume());

    await using pub = await connect(router.url, { name: 'publisher' });
    await publishAll(pub, TOPIC, TOTAL, load);
    const [recovery] = await recovered;
    await tally.until(TOTAL);

    expect(recovery).toEqual({ recovered: true, gaps: [] });
    expect(tally.offsets).toEqual(range(1, TOTAL));
    expect(changes.slice(0, 2)).toEqual([
      { from: 'open', to: 'reconnecting', reason: 'router_closed', code: 4200 },
      { from: 'reconnecting', to: 'open', reason: 'welcomed' },
    ]);
    expect(sockets.length).toBeGreaterThanOrEqual(2);
    expect(router.stats().slowConsumers).toBeGreaterThanOrEqual(1);
  });
});
