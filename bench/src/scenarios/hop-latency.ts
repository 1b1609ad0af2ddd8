/**
 * The latency the Redis hop adds, paced (part of the `cluster` scenario): one publisher on the first
 * router and `perRouter` subscribers on every router, all in this process (one clock), with
 * publishes at a steady `ratePerSec` that nothing queues behind (unlike the burst, or a 150-way
 * fan-out decoded in one process, whose p50 is queueing). One-way latency is the subscriber's
 * `performance.now()` minus the publisher's, carried in the payload. Reported for every subscriber
 * and for the subscribers on the other routers; the cluster's other-router p50 minus one router's
 * p50 is what the hop (router → Redis → router) adds.
 */
import { type Client, connect } from '@herald/client';
import type { RouterProcess } from '@herald/testkit';

const TOPIC = 'bench.hop';

export interface HopResult {
  /** One-way latency over every subscriber. */
  p50Ms: number;
  p99Ms: number;
  /** Over the subscribers on routers other than the publisher's (every subscriber with one router). */
  remoteP50Ms: number;
  remoteP99Ms: number;
  /** The rate the publishes actually went out at. */
  ratePerSec: number;
}

/** The `p`th percentile (0-100) of sorted samples: the one at index floor(p% of the count); NaN for none. */
export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

export async function measureHop(routers: RouterProcess[], perRouter: number, ratePerSec: number, messages: number): Promise<HopResult> {
  const clients: Client[] = [];
  try {
    const publisher = await connect(routers[0]!.url, { name: 'hop-publisher' });
    clients.push(publisher);
    const samples: Array<{ ms: number; remote: boolean }> = [];
    let received = 0;
    let waiting: { target: number; resolve: () => void } | undefined;
    for (const [index, router] of routers.entries()) {
      for (let i = 0; i < perRouter; i++) {
        const client = await connect(router.url, { name: `hop-${index}-${i}` });
        clients.push(client);
        await client.subscribe(TOPIC, (data) => {
          const now = performance.now();
          const { t, warm } = data as { t: number; warm?: boolean };
          if (warm !== true) samples.push({ ms: now - t, remote: routers.length === 1 || index !== 0 });
          received++;
          if (waiting !== undefined && received >= waiting.target) waiting.resolve();
        });
      }
    }
    const subscribers = routers.length * perRouter;
    const until = (target: number): Promise<void> =>
      received >= target ? Promise.resolve() : new Promise((resolve) => (waiting = { target, resolve }));
    const payload = 'x'.repeat(150);
    const intervalMs = 1000 / ratePerSec;
    // Not awaited one by one (that would pace by the round trip), all awaited before closing.
    const acks: Array<Promise<unknown>> = [];
    const send = async (count: number, warm: boolean): Promise<number> => {
      const start = performance.now();
      for (let i = 0; i < count; i++) {
        const due = start + i * intervalMs;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        acks.push(publisher.publish(TOPIC, { t: performance.now(), p: payload, ...(warm && { warm }) }));
      }
      return performance.now() - start;
    };
    await send(50, true);
    await until(50 * subscribers);
    const elapsedMs = await send(messages, false);
    await until((50 + messages) * subscribers);
    await Promise.all(acks);
    const all = samples.map((s) => s.ms).sort((a, b) => a - b);
    const remote = samples.filter((s) => s.remote).map((s) => s.ms).sort((a, b) => a - b);
    return {
      p50Ms: percentile(all, 50),
      p99Ms: percentile(all, 99),
      remoteP50Ms: percentile(remote, 50),
      remoteP99Ms: percentile(remote, 99),
      ratePerSec: ((messages - 1) * 1000) / elapsedMs,
    };
  } finally {
    await Promise.all(clients.map((c) => c.close()));
  }
}
