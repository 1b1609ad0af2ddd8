/**
 * Latency: the server publishes at a fixed rate (200 msg/s) to N subscribers; each payload carries
 * its wall-clock send time, and each subscriber, on the same machine, subtracts it from the time
 * its handler got the decoded message. Samples of the warm-up are dropped.
 */
import { CONNECT_CONCURRENCY, type Measurement, type RunContext, TOPIC } from '../context.js';
import { Setup } from '../setup.js';
import type { SystemName } from '../systems/system.js';

/** The value below which `fraction` of the sorted samples lie (nearest rank). */
export function percentile(sorted: Float64Array, fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1));
  return sorted[rank]!;
}

export async function runLatency(ctx: RunContext, system: SystemName, subscribers: number, label: string): Promise<Measurement> {
  const { options } = ctx;
  const warmupCount = Math.round(options.rate * options.warmupSeconds);
  const count = warmupCount + Math.round(options.rate * options.latencySeconds);
  ctx.log(`${label}: starting the server and ${subscribers} subscribers`);
  const setup = await Setup.start(system, {
    subscribers,
    procs: options.procs,
    topic: TOPIC,
    latencyAfterSeq: warmupCount,
    concurrency: CONNECT_CONCURRENCY,
  });
  try {
    await setup.connect();
    ctx.log(`${label}: ${count} messages at ${options.rate}/s (${options.warmupSeconds} s of them warm-up)`);
    setup.server.send({ type: 'latency', topic: TOPIC, size: options.size, rate: options.rate, count });
    const sent = await setup.server.next('latency-result', (count / options.rate) * 1000 + 60_000);
    await setup.waitFor(count, 30_000);
    const stats = await setup.collect();
    if (stats.errors > 0) throw new Error(`${stats.errors} client errors, first: ${stats.firstError}`);
    const expected = (count - warmupCount) * subscribers;
    if (stats.latencies.length !== expected) throw new Error(`${stats.latencies.length} latency samples, expected ${expected}`);
    const sorted = stats.latencies.sort();
    let sum = 0;
    for (const value of sorted) sum += value;
    return {
      scenario: 'latency',
      case: `N=${subscribers}, ${options.rate}/s, ${options.size} B`,
      system,
      figures: {
        p50Ms: percentile(sorted, 0.5),
        p99Ms: percentile(sorted, 0.99),
        maxMs: sorted[sorted.length - 1]!,
        meanMs: sum / sorted.length,
        routerCores: sent.cpuMs / sent.elapsedMs,
        routerGcCount: sent.gc.count,
        routerGcMs: sent.gc.totalMs,
        routerGcMaxMs: sent.gc.maxMs,
        routerGcMajor: sent.gc.major,
        clientGcCount: stats.gc.count,
        clientGcMs: stats.gc.totalMs,
        clientGcMaxMs: stats.gc.maxMs,
      },
      details: { samples: sorted.length, published: sent.published, publishSeconds: sent.elapsedMs / 1000, dateArrivesAs: stats.dateTypes.join('/') },
    };
  } finally {
    await setup.close();
  }
}
