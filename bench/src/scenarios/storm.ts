/**
 * Reconnect storm (Herald only): clients spread over three routers in separate processes sharing
 * one Redis (a private redis-server started for the run), each subscribed to one topic and holding
 * a position (one message received). Router A is SIGKILLed: its clients reconnect at once to the
 * others (each client's URL list starts at its own router and rotates) and resubscribe from their
 * positions. A message published on router B while they are away must be replayed to them.
 *
 * Reported: the time from the SIGKILL until every client of A is back on another router, subscribed,
 * and has the message it missed (once: the count of every message is checked); a `recovery` event
 * with a gap fails the run. The remaining
 * routers' CPU over that time, per reconnected client. Clients run in this process, on the same
 * shared cores as the routers: the figures are indicative. Socket.IO and NATS beside it:
 * storm-socketio.ts and storm-nats.ts.
 */
import { type Client, connect } from '@herald/client';
import { spawnRouter, startRedisServer } from '@herald/testkit';
import type { Measurement, RunContext } from '../context.js';
import { processesCpuMs } from '../external-process.js';

const TOPIC = 'bench.storm';
/**
 * `HERALD_BENCH_HELLO_IN_UPGRADE=0` gives the storm's clients `helloInUpgrade: false` (the hello
 * as a first frame): the A/B of bench/README's "Connect path". Default: the client's default.
 */
const HELLO_IN_UPGRADE = process.env.HERALD_BENCH_HELLO_IN_UPGRADE === '0' ? { helloInUpgrade: false } : {};
/**
 * `HERALD_BENCH_STORM_WATCH=1`: every client also watches the topic's presence count
 * (`presence(topic, { countOnly: true })`), so each moved client watches again on the router it
 * lands on: the A/B of bench/README's "A presence watch per moved client". Default: no watch.
 */
const WATCH = process.env.HERALD_BENCH_STORM_WATCH === '1';


export function stormCase(clients: number): string {
  return `${clients} clients over 3 routers, one SIGKILLed`;
}

/**
 * A wait for counts that events move: each event calls `check()`, and `until(done)` resolves at the
 * first check where `done()` holds (no polling). It rejects after `timeoutMs` with `timedOut()`, or
 * at once with what `failed()` returns.
 */
export function eventWaiter(timedOut: () => string, failed: () => Error | undefined = () => undefined): { check(): void; until(done: () => boolean, timeoutMs: number): Promise<void> } {
  let waiting: (() => void) | undefined;
  return {
    check: () => waiting?.(),
    until: (done, timeoutMs) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(timedOut())), timeoutMs);
        waiting = () => {
          const failure = failed();
          if (failure !== undefined) {
            clearTimeout(timer);
            waiting = undefined;
            reject(failure);
          } else if (done()) {
            clearTimeout(timer);
            waiting = undefined;
            resolve();
          }
        };
        waiting();
      }),
  };
}

export async function runStorm(ctx: RunContext, label: string): Promise<Measurement[]> {
  const total = ctx.options.quick ? 600 : 5000;
  await using redis = await startRedisServer({ own: true });
  // One resume secret for the three routers, as a cluster has (README, "A cluster"): a
  // moved client's `hello.resume` verifies on the router it lands on and keeps its id. Without it
  // (runs before 2026-12-07 07:00) every resume failed verification and started a new session.
  const env = { HERALD_REDIS_URL: redis.url, HERALD_REDIS_PREFIX: 'storm:', HERALD_NO_ADDRESS_LIMITS: '1', HERALD_RESUME_SECRET: 'herald bench storm resume secret' };
  const nodes = await Promise.all(['a', 'b', 'c'].map((name) => spawnRouter(0, { ...env, HERALD_ROUTER_NAME: name })));
  const urls = nodes.map((node) => node.url);
  const clients: Client[] = [];
  try {
    ctx.log(`${label}: connecting ${total} clients over 3 routers`);
    let received = 0;
    let recoveredOnA = 0;
    let missedOnA = 0;
    let gaps = 0;
    const victims = new Set<number>();
    const { check, until } = eventWaiter(() => `storm: timed out (${received} received, ${recoveredOnA} recovered, ${gaps} gaps)`);
    for (let i = 0; i < total; i++) {
      const home = i % 3;
      // Each client starts at its own router; after a drop it tries the next one. The list keeps
      // its order (`randomizeUrls: false`): shuffled, two thirds of A's clients would start on B or
      // C and get the missed message live, with no recovery to count.
      const client = await connect([...urls.slice(home), ...urls.slice(0, home)], { name: `c${i}`, randomizeUrls: false, ...HELLO_IN_UPGRADE });
      clients.push(client);
      if (home === 0) victims.add(i);
      const subscription = await client.subscribe(TOPIC, (data) => {
        received++;
        if (home === 0 && (data as { n?: number }).n === 2) missedOnA++;
        check();
      });
      if (WATCH) await client.presence(TOPIC, { countOnly: true });
      subscription.on('recovery', (recovery) => {
        if (!victims.has(i)) return;
        if (recovery.recovered) recoveredOnA++;
        else gaps++;
        check();
      });
    }
    const publisher = await connect(urls[1]!, { name: 'publisher' });
    clients.push(publisher);
    await publisher.publish(TOPIC, { n: 1 });
    await until(() => received >= total, 120_000);

    const idsBefore = new Map([...victims].map((i) => [i, clients[i]!.id]));
    const survivors = nodes.slice(1);
    // The pids and the monotonic clock (perf's `-k mono`) let a profile keep the storm window only.
    ctx.log(`${label}: SIGKILL router a (${victims.size} clients); survivors' pids ${survivors.map((node) => node.child.pid).join(',')}, at ${monotonicSeconds()}`);
    await redis.command('CONFIG', 'RESETSTAT');
    const cpuBefore = processesCpuMs(survivors.map((node) => node.child.pid!));
    const killedAt = performance.now();
    await nodes[0]!.kill();
    await publisher.publish(TOPIC, { n: 2 });
    await until(() => missedOnA >= victims.size && received >= 2 * total, 120_000);
    const stormMs = performance.now() - killedAt;
    const cpu = processesCpuMs(survivors.map((node) => node.child.pid!)) - cpuBefore;
    ctx.log(`${label}: all back at ${monotonicSeconds()}`);
    // What the storm asked of Redis (every node, the publisher's publish included; commands a
    // script runs count under their own names too), per moved client.
    const redisCalls = commandCalls(await redis.command('INFO', 'commandstats'), victims.size);
    ctx.log(`${label}: Redis calls per moved client ${Object.entries(redisCalls).map(([name, calls]) => `${name} ${calls}`).join(', ')}`);
    if (gaps > 0) throw new Error(`storm: ${gaps} clients recovered with a gap`);
    // Moved clients whose session resumed (same id on the new router): all of them, with the shared secret.
    const resumed = [...idsBefore].filter(([i, id]) => clients[i]!.id === id).length;
    return [
      {
        scenario: 'storm',
        case: stormCase(total),
        system: 'herald',
        figures: { stormMs, reconnected: victims.size, routerCpuUsPerClient: (cpu * 1000) / victims.size, missedDelivered: missedOnA },
        details: { received, missedOnA, recoveryEvents: recoveredOnA, resumed, watching: WATCH, redisCallsPerMovedClient: redisCalls },
      },
    ];
  } finally {
    await Promise.all(clients.map((client) => client.close()));
    await Promise.all(nodes.map((node) => node.kill()));
  }
}

/** CLOCK_MONOTONIC in seconds, as `perf record -k mono` stamps its samples. */
function monotonicSeconds(): string {
  return (Number(process.hrtime.bigint() / 1000n) / 1e6).toFixed(6);
}

/** `INFO commandstats` (RESP bulk string) → calls per moved client of each command, most first. */
function commandCalls(info: string, moved: number): Record<string, number> {
  const calls: Array<[string, number]> = [];
  for (const match of info.matchAll(/cmdstat_([\w|]+):calls=(\d+)/g)) {
    if (match[1] !== 'config' && match[1] !== 'info') calls.push([match[1]!, Math.round((Number(match[2]) / moved) * 1000) / 1000]);
  }
  return Object.fromEntries(calls.sort((a, b) => b[1] - a[1]));
}
