/**
 * Idle connections: a warm-up of `--idle-warmup` clients (kept open), the server's memory after GC,
 * then N clients opened from several processes at once (a bounded number in flight each), then its
 * memory again. Reports the difference per connection (with the young generation held small: see
 * SERVER_FLAGS), the server's CPU per connect over the burst, the client processes' CPU per connect
 * over their own share of it (they share the machine's cores with the server, so the rate is bound by
 * both), and the connection rate seen by the orchestrator (first connect to last client ready,
 * handshake and Herald's hello/welcome included).
 *
 * The warm-up is the same for every system: without it the measured burst is also the one in
 * which V8 compiles each server's connect path (and the clients'), which weighs more for a longer
 * path than for a bare `ws` accept; a router in production is warm, and holds connections already.
 */
import { join } from 'node:path';
import { type Measurement, type RunContext } from '../context.js';
import { Setup } from '../setup.js';
import type { SystemName } from '../systems/system.js';

const IDLE_CONCURRENCY = 64;

/**
 * The server's young generation is held at 1 MB per semi-space. By default V8 grows it up to 16 MB
 * per semi-space while thousands of connections open at once, and keeps it committed after GC: about
 * 6 KiB of RSS per connection at 5,000 for every system, a fixed cost that does not grow with the
 * connections held. With it held, RSS per connection measures what connections keep.
 */
const SERVER_FLAGS = ['--max-semi-space-size=1'];

/**
 * Herald's router pings every connection every heartbeat interval (10 s by default), and reads
 * every pong: about 17 µs of router CPU per connection per tick (5,000 idle clients, 2026-12-07).
 * A tick inside the measured burst (it lasts 3 to 15 s here, with up to 7,000 connections open)
 * put up to ~20 µs per connect on Herald's figure that belong to no connect, and none of the raw
 * `ws` servers pings at all (Socket.IO every 25 s, NATS every 2 min). So Herald's interval is set
 * longer than any run of this scenario: the figure is the connect's, as for the others.
 */
const HERALD_IDLE_HEARTBEAT_MS = 10 * 60_000;

export async function runIdle(ctx: RunContext, system: SystemName, label: string): Promise<Measurement> {
  const { options } = ctx;
  const connections = options.idleConnections;
  ctx.log(`${label}: starting the server and ${options.idleProcs} client processes`);
  const setup = await Setup.start(system, {
    subscribers: connections,
    procs: options.idleProcs,
    concurrency: IDLE_CONCURRENCY,
    execArgv: SERVER_FLAGS,
    serverSettings: { heartbeatIntervalMs: HERALD_IDLE_HEARTBEAT_MS },
  });
  try {
    if (options.idleWarmup > 0) {
      ctx.log(`${label}: warming up with ${options.idleWarmup} connections (kept open, not measured)`);
      await setup.warmUp(options.idleWarmup);
    }
    // --profile: the V8 CPU profile of the burst of connects, from this report to the next.
    const profilePath = options.profile ? join(ctx.profileDir, `idle-${system}.cpuprofile`) : undefined;
    setup.server.send({ type: 'memory', profile: profilePath !== undefined });
    const before = await setup.server.next('memory', 30_000);
    ctx.log(`${label}: opening ${connections} connections`);
    const connected = await setup.connect();
    setup.server.send({ type: 'memory', ...(profilePath === undefined ? {} : { profilePath }) });
    if (profilePath !== undefined) ctx.profiles.push(profilePath);
    const after = await setup.server.next('memory', 30_000);
    return {
      scenario: 'idle',
      case: `${connections} clients`,
      system,
      figures: {
        rssPerConn: (after.rss - before.rss) / connections,
        // NATS's server is a Go process: the report's heap is its Node wrapper's, not the server's.
        ...(system !== 'nats' && {
          heapPerConn: (after.heapUsed - before.heapUsed) / connections,
          externalPerConn: (after.external - before.external) / connections,
        }),
        connPerSec: connections / (connected.elapsedMs / 1000),
        // From the end of the first memory report to the start of the second: the burst, with its
        // scavenges, and not the reports' three forced full GCs (~120 ms of CPU with 7,000
        // connections held, about 24 µs per connect on every side alike: counting them flattered
        // every ratio towards 1; until 2026-12-07 13:35 UTC they were counted).
        cpuUsPerConn: ((after.cpuBeforeGcMs - before.cpuMs) * 1000) / connections,
        userUsPerConn: ((after.cpuBeforeGcMs - after.cpuSystemBeforeGcMs - (before.cpuMs - before.cpuSystemMs)) * 1000) / connections,
        kernelUsPerConn: ((after.cpuSystemBeforeGcMs - before.cpuSystemMs) * 1000) / connections,
        clientUsPerConn: (connected.clientCpuMs * 1000) / connections,
        // How often the router's loop slept and woke, and was preempted, per connect (the Node
        // process only: not NATS's broker). Its CPU per connect moves with both.
        ...(system !== 'nats' && {
          wakeupsPerConn: ((after.wakeups ?? 0) - (before.wakeups ?? 0)) / connections,
          preemptionsPerConn: ((after.preemptions ?? 0) - (before.preemptions ?? 0)) / connections,
        }),
      },
      details: { before, after, connectMs: connected.elapsedMs, clientCpuMs: connected.clientCpuMs, warmup: options.idleWarmup },
    };
  } finally {
    await setup.close();
  }
}
