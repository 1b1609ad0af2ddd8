/**
 * Recovery (Herald only; the other systems have no history): subscribers receive a few messages
 * live, then the router cuts their connections the way a network failure would
 * (`router.disconnect(id, { terminate: true })`) and at once publishes `missed` messages while they
 * are away. The clients reconnect at once (no backoff: a jitter of 0), resubscribe with their
 * positions and get the missed messages replayed from the router's history, in order.
 *
 * A first round with fewer messages is not measured: it runs the code paths once, so that the
 * measured round is not the JIT's first sight of them.
 *
 * Reported: the time from the cut until every subscriber has every missed message, how long the
 * router took to publish them (it is single-threaded: the reconnect waits for that), the time to
 * reconnect, the replay rate (missed messages per second from the reconnect to the last message
 * delivered), and the router's CPU per missed message and subscriber (publishing and replaying).
 */
import { type Measurement, type RunContext, TOPIC } from '../context.js';
import { Setup } from '../setup.js';
import type { SystemName } from '../systems/system.js';

/** Systems that can cut their clients and replay what they missed. */
export const RECOVERY_SYSTEMS: readonly SystemName[] = ['herald'];

/** Messages delivered live before the cut, so that every subscription has a position to recover from. */
const LIVE_MESSAGES = 10;
/** A first, unmeasured cut and recovery with this many messages (at most), to warm up the code paths. */
const WARMUP_MISSED = 1000;

export function recoveryCase(subscribers: number, missed: number, size: number): string {
  return `${subscribers} subscriber${subscribers === 1 ? '' : 's'}, ${missed} missed, ${size} B`;
}

export async function runRecovery(ctx: RunContext, system: SystemName, label: string): Promise<Measurement> {
  const { options } = ctx;
  const subscribers = options.recoverySubscribers;
  const missed = options.missed;
  ctx.log(`${label}: starting the router (history of ${missed} messages) and ${subscribers} subscriber(s)`);
  const setup = await Setup.start(system, {
    subscribers,
    procs: 1,
    topic: TOPIC,
    concurrency: 16,
    watchReconnects: true,
    serverSettings: { historyLimit: Math.max(missed, WARMUP_MISSED) + LIVE_MESSAGES },
  });
  try {
    await setup.connect();
    // A few messages live first: the subscriptions then recover from positions, as after any drop.
    setup.server.send({ type: 'latency', topic: TOPIC, size: options.size, rate: 1000, count: LIVE_MESSAGES });
    await setup.server.next('latency-result', 30_000);
    await setup.waitFor(LIVE_MESSAGES, 30_000);
    const warmup = Math.min(WARMUP_MISSED, missed);
    ctx.log(`${label}: warm-up: cutting and publishing ${warmup} messages`);
    setup.server.send({ type: 'cut', topic: TOPIC, size: options.size, count: warmup });
    const warm = await setup.server.next('cut-result', 30_000);
    await setup.waitFor(warm.lastSeq, 60_000);

    setup.server.send({ type: 'cpu' });
    const cpuBefore = await setup.server.next('cpu', 30_000);
    ctx.log(`${label}: cutting ${subscribers} subscriber(s) and publishing ${missed} messages`);
    setup.server.send({ type: 'cut', topic: TOPIC, size: options.size, count: missed });
    const cut = await setup.server.next('cut-result', 30_000);
    if (cut.cut !== subscribers) throw new Error(`cut ${cut.cut} clients, expected ${subscribers}`);
    await setup.waitFor(cut.lastSeq, 60_000);
    const recoveredAt = setup.lowMarkAt();
    setup.server.send({ type: 'cpu' });
    const cpuAfter = await setup.server.next('cpu', 30_000);

    const stats = await setup.collect();
    if (stats.errors > 0) throw new Error(`${stats.errors} client errors, first: ${stats.firstError}`);
    if (stats.reconnects !== 2 * subscribers || stats.lastReconnectAt === undefined || stats.lastReconnectAt < cut.cutAt) {
      throw new Error(`${stats.reconnects} reconnects seen, expected ${2 * subscribers}`);
    }
    const expected = (LIVE_MESSAGES + warmup + missed) * subscribers;
    if (stats.received !== expected) throw new Error(`subscribers received ${stats.received} messages, expected ${expected} (each once)`);
    const replayMs = recoveredAt - stats.lastReconnectAt;
    const deliveries = missed * subscribers;
    // The router's CPU from just before the cut until everything had arrived (the IPC round trips
    // of the two readings are in there too: a fraction of a millisecond).
    const cpuMs = cpuAfter.cpuMs - cpuBefore.cpuMs;
    return {
      scenario: 'recovery',
      case: recoveryCase(subscribers, missed, options.size),
      system,
      figures: {
        recoverMs: recoveredAt - cut.cutAt,
        publishMs: cut.publishedAt - cut.cutAt,
        reconnectMs: stats.lastReconnectAt - cut.cutAt,
        replayMs,
        replayPerSec: deliveries / (replayMs / 1000),
        cpuUsPerMessage: (cpuMs * 1000) / deliveries,
      },
      details: {
        subscribers,
        missed,
        warmupMissed: warmup,
        reconnects: stats.reconnects,
        cpuMs,
        cpuSystemMs: cpuAfter.cpuSystemMs - cpuBefore.cpuSystemMs,
        dateArrivesAs: stats.dateTypes.join('/'),
      },
    };
  } finally {
    await setup.close();
  }
}
