/**
 * Latency: the server publishes at a fixed rate (200 msg/s) to N subscribers; each payload carries
 * its wall-clock send time, and each subscriber, on the same machine, subtracts it from the time
 * its handler got the decoded message. Samples of the warm-up are dropped.
 *
 * The offered load is the same for every system: N × rate deliveries per second (200 k/s at
 * N = 1,000, near what this machine's two cores can carry at all). A system that cannot carry it
 * has no latency to report, only a queue that grows as long as the run lasts: once the backlog of
 * its subscribers (or its publish loop's lateness) has grown by `SATURATED_BEHIND_MS` during the
 * measured phase (or is three times that at any time), publishing stops and the system is reported
 * as saturated, with the deliveries per second it did carry. So is a system whose last message
 * reaches everyone more than `SATURATED_BEHIND_MS` after it was published (a steady lag).
 */
import { join } from 'node:path';
import { CONNECT_CONCURRENCY, type Measurement, type RunContext, TOPIC } from '../context.js';
import { Setup } from '../setup.js';
import type { SystemName } from '../systems/system.js';

/** A backlog growing by this much (1 s of messages) while measured is saturation, not latency. */
export const SATURATED_BEHIND_MS = 1000;

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
  const profilePath = options.profile ? join(ctx.profileDir, `latency-${system}-n${subscribers}.cpuprofile`) : undefined;
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
    setup.server.send({
      type: 'latency',
      topic: TOPIC,
      size: options.size,
      rate: options.rate,
      count,
      maxBehindMs: SATURATED_BEHIND_MS,
      procs: setup.procs,
      measureAfter: warmupCount,
      ...(profilePath === undefined ? {} : { profilePath }),
    });
    const sent = await setup.server.next('latency-result', (count / options.rate) * 1000 + 60_000);
    if (profilePath !== undefined) ctx.profiles.push(profilePath);
    if (sent.saturated) ctx.log(`${label}: saturated after ${sent.published} messages: the backlog grew past ${SATURATED_BEHIND_MS} ms`);
    await setup.waitFor(sent.published, 30_000);
    const carriedPerSec = (sent.published * subscribers) / ((setup.lowMarkAt() - sent.startedAt) / 1000);
    const offeredPerSec = options.rate * subscribers;
    // Also saturated: the last message reached everyone more than SATURATED_BEHIND_MS after the
    // last publish (a backlog of seconds that held steady: a lag, not a latency).
    const drainMs = setup.lowMarkAt() - (sent.startedAt + sent.elapsedMs);
    const saturated = sent.saturated || drainMs > SATURATED_BEHIND_MS;
    if (saturated && !sent.saturated) ctx.log(`${label}: saturated: the last message arrived ${Math.round(drainMs)} ms after it was published`);
    const stats = await setup.collect();
    if (stats.errors > 0) throw new Error(`${stats.errors} client errors, first: ${stats.firstError}`);
    const expected = Math.max(0, sent.published - warmupCount) * subscribers;
    if (stats.latencies.length !== expected) throw new Error(`${stats.latencies.length} latency samples, expected ${expected}`);
    const sorted = stats.latencies.sort();
    let sum = 0;
    for (const value of sorted) sum += value;
    // Saturated: the samples measure a growing queue; they stay in the details, not in the table.
    const first = stats.firstLatencies.sort();
    const spreads = stats.spreads.sort();
    const latency = {
      p50Ms: percentile(sorted, 0.5),
      p99Ms: percentile(sorted, 0.99),
      maxMs: sorted.length === 0 ? Number.NaN : sorted[sorted.length - 1]!,
      meanMs: sum / sorted.length,
      firstP50Ms: percentile(first, 0.5),
      firstP99Ms: percentile(first, 0.99),
      spreadP50Ms: percentile(spreads, 0.5),
      spreadP99Ms: percentile(spreads, 0.99),
    };
    const publishMs = sent.publishMs?.sort();
    const publishCpuMs = sent.publishCpuMs?.sort();
    const publishWaitMs = sent.publishWaitMs?.sort();
    return {
      scenario: 'latency',
      case: `N=${subscribers}, ${options.rate}/s, ${options.size} B`,
      system,
      figures: {
        ...(saturated ? { saturated: 1 } : latency),
        ...(publishMs === undefined ? {} : { publishP50Ms: percentile(publishMs, 0.5), publishP99Ms: percentile(publishMs, 0.99) }),
        ...(publishCpuMs === undefined || publishWaitMs === undefined
          ? {}
          : {
              publishCpuP50Ms: percentile(publishCpuMs, 0.5),
              publishCpuP99Ms: percentile(publishCpuMs, 0.99),
              publishWaitP50Ms: percentile(publishWaitMs, 0.5),
              publishWaitP99Ms: percentile(publishWaitMs, 0.99),
            }),
        offeredPerSec,
        carriedPerSec,
        ...(stats.measuredDeliveries === 0 ? {} : { subscriberUsPerDelivery: (stats.measuredCpuMs * 1000) / stats.measuredDeliveries }),
        // How many messages a client's wake-up found: CPU per delivery is mostly per wake-up here.
        ...(stats.measuredReads === 0 || stats.measuredDeliveries === 0 ? {} : { deliveriesPerRead: stats.measuredDeliveries / stats.measuredReads }),
        // And how many a wake-up of a subscriber process found, over all its clients' sockets.
        ...(stats.measuredSleeps === 0 || stats.measuredDeliveries === 0 ? {} : { deliveriesPerWake: stats.measuredDeliveries / stats.measuredSleeps }),
        ...(sent.cores === undefined || saturated
          ? {}
          : {
              routerCores: sent.cores.routerMs / sent.cores.elapsedMs,
              subscriberCores: sent.cores.subscriberMs / sent.cores.elapsedMs,
              otherCores: Math.max(0, (sent.cores.machineBusyMs - sent.cores.routerMs - sent.cores.subscriberMs) / sent.cores.elapsedMs),
            }),
        routerGcCount: sent.gc.count,
        routerGcMs: sent.gc.totalMs,
        routerGcMaxMs: sent.gc.maxMs,
        routerGcMajor: sent.gc.major,
        clientGcCount: stats.gc.count,
        clientGcMs: stats.gc.totalMs,
        clientGcMaxMs: stats.gc.maxMs,
      },
      details: {
        subscribers,
        samples: sorted.length,
        published: sent.published,
        publishSeconds: sent.elapsedMs / 1000,
        dateArrivesAs: stats.dateTypes.join('/'),
        ...(saturated ? { saturatedLatency: latency } : {}),
      },
    };
  } finally {
    await setup.close();
  }
}
