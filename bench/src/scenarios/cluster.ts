/**
 * Cross-node (Herald only): a publisher on router A, subscribers spread over three routers in
 * separate processes sharing one Redis (a private redis-server started for the run), against the
 * same clients on one router (in-memory engine, also in a process of its own).
 *
 * Reported per setup: deliveries per second (a burst of messages until every subscriber has every
 * one), the routers' CPU per delivery (user + system of every router process, from /proc), and the
 * one-way latency p50/p99 at a low rate (publisher and subscribers in this process, so one clock);
 * with 150 subscribers decoded in this process that p50 is mostly queueing. So the Redis hop is
 * measured apart, paced (hop-latency.ts: 200 msg/s, one subscriber per router): the other routers'
 * p50 minus one router's p50 is what the hop adds. Subscribers run in this process: the machine's
 * cores are shared by everything, so the figures are indicative.
 */
import { type Client, connect } from '@herald/client';
import { type RouterProcess, spawnRouter, startRedisServer } from '@herald/testkit';
import type { Measurement, RunContext } from '../context.js';
import { processesCpuMs } from '../external-process.js';
import { type HopResult, measureHop, percentile } from './hop-latency.js';

const TOPIC = 'bench.cluster';
/** The paced hop measurement: publishes per second, subscribers per router of the cluster (three on the one router). */
const HOP_RATE = 200;
const HOP_PER_ROUTER = 1;

interface SetupResult {
  deliveriesPerSec: number;
  routerCpuUsPerDelivery: number;
  p50Ms: number;
  p99Ms: number;
  remoteP50Ms: number;
}

async function measure(routers: RouterProcess[], subscribers: number, burst: number, latencyMessages: number): Promise<SetupResult> {
  const clients: Client[] = [];
  try {
    const publisher = await connect(routers[0]!.url, { name: 'publisher' });
    clients.push(publisher);
    let received = 0;
    let waiting: { target: number; resolve: () => void } | undefined;
    const latencies: Array<{ ms: number; remote: boolean }> = [];
    for (let i = 0; i < subscribers; i++) {
      const node = i % routers.length;
      const client = await connect(routers[node]!.url, { name: `s${i}` });
      clients.push(client);
      await client.subscribe(TOPIC, (data) => {
        received++;
        const sent = (data as { t?: number }).t;
        if (sent !== undefined) latencies.push({ ms: performance.now() - sent, remote: node !== 0 });
        if (waiting !== undefined && received >= waiting.target) waiting.resolve();
      });
    }
    const until = (target: number): Promise<void> =>
      received >= target ? Promise.resolve() : new Promise((resolve) => (waiting = { target, resolve }));
    const payload = 'x'.repeat(150);

    // Warm-up, then the burst: 32 publishes in flight.
    const publishBurst = async (count: number): Promise<void> => {
      let next = 0;
      const lane = async (): Promise<void> => {
        while (next < count) {
          next++;
          await publisher.publish(TOPIC, { p: payload });
        }
      };
      await Promise.all(Array.from({ length: 32 }, lane));
    };
    await publishBurst(200);
    await until(200 * subscribers);
    const cpuBefore = processesCpuMs(routers.map((r) => r.child.pid!));
    const started = performance.now();
    const base = received;
    await publishBurst(burst);
    await until(base + burst * subscribers);
    const elapsedMs = performance.now() - started;
    const cpu = processesCpuMs(routers.map((r) => r.child.pid!)) - cpuBefore;
    const deliveries = burst * subscribers;

    // Latency at 100 messages per second.
    latencies.length = 0;
    const target = received + latencyMessages * subscribers;
    for (let i = 0; i < latencyMessages; i++) {
      void publisher.publish(TOPIC, { t: performance.now(), p: payload });
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await until(target);
    const all = latencies.map((l) => l.ms).sort((a, b) => a - b);
    const remote = latencies.filter((l) => l.remote).map((l) => l.ms).sort((a, b) => a - b);
    return {
      deliveriesPerSec: deliveries / (elapsedMs / 1000),
      routerCpuUsPerDelivery: (cpu * 1000) / deliveries,
      p50Ms: percentile(all, 50),
      p99Ms: percentile(all, 99),
      remoteP50Ms: remote.length > 0 ? percentile(remote, 50) : percentile(all, 50),
    };
  } finally {
    await Promise.all(clients.map((c) => c.close()));
  }
}

export function clusterCase(nodes: number, subscribers: number): string {
  return nodes === 1 ? `1 router, ${subscribers} subscribers` : `${nodes} routers over Redis, ${subscribers} subscribers`;
}

export async function runCluster(ctx: RunContext, label: string): Promise<Measurement[]> {
  const quick = ctx.options.quick;
  const subscribers = quick ? 30 : 150;
  const burst = quick ? 500 : 2000;
  const latencyMessages = quick ? 100 : 300;
  const hopMessages = quick ? 200 : 1000;
  const results: Measurement[] = [];
  ctx.log(`${label}: one router (in-memory engine), ${subscribers} subscribers`);
  const single = await spawnRouter(0, { HERALD_ROUTER_NAME: 'single' });
  let one: SetupResult;
  let oneHop: HopResult;
  try {
    one = await measure([single], subscribers, burst, latencyMessages);
    oneHop = await measureHop([single], HOP_PER_ROUTER * 3, HOP_RATE, hopMessages);
  } finally {
    await single.kill();
  }
  results.push({
    scenario: 'cluster',
    case: clusterCase(1, subscribers),
    system: 'herald',
    figures: { ...one, pacedP50Ms: oneHop.p50Ms, pacedP99Ms: oneHop.p99Ms },
    details: { burst, latencyMessages, hop: { ...oneHop, subscribers: HOP_PER_ROUTER * 3, messages: hopMessages } },
  });

  ctx.log(`${label}: three routers over a private redis-server, ${subscribers} subscribers spread over them`);
  await using redis = await startRedisServer({ own: true });
  const env = { HERALD_REDIS_URL: redis.url, HERALD_REDIS_PREFIX: 'bench:' };
  const nodes = await Promise.all(['a', 'b', 'c'].map((name) => spawnRouter(0, { ...env, HERALD_ROUTER_NAME: name })));
  try {
    const three = await measure(nodes, subscribers, burst, latencyMessages);
    ctx.log(`${label}: the Redis hop, paced (${HOP_RATE} msg/s, ${HOP_PER_ROUTER} subscriber per router)`);
    const threeHop = await measureHop(nodes, HOP_PER_ROUTER, HOP_RATE, hopMessages);
    results.push({
      scenario: 'cluster',
      case: clusterCase(3, subscribers),
      system: 'herald',
      figures: {
        ...three,
        redisHopP50Ms: three.remoteP50Ms - one.p50Ms,
        pacedP50Ms: threeHop.p50Ms,
        pacedP99Ms: threeHop.p99Ms,
        pacedRemoteP50Ms: threeHop.remoteP50Ms,
        redisHopPacedP50Ms: threeHop.remoteP50Ms - oneHop.p50Ms,
      },
      details: { burst, latencyMessages, redisPid: 'own', hop: { ...threeHop, subscribers: HOP_PER_ROUTER * 3, messages: hopMessages } },
    });
  } finally {
    await Promise.all(nodes.map((n) => n.kill()));
  }
  return results;
}
