/**
 * Idle connections: the server's memory after GC before any client, then N clients opened from
 * several processes at once (a bounded number in flight each), then its memory again. Reports the
 * difference per connection, and the connection rate seen by the orchestrator (first connect to
 * last client ready, handshake and Herald's hello/welcome included).
 */
import { type Measurement, type RunContext } from '../context.js';
import { Setup } from '../setup.js';
import type { SystemName } from '../systems/system.js';

const IDLE_CONCURRENCY = 64;

export async function runIdle(ctx: RunContext, system: SystemName, label: string): Promise<Measurement> {
  const { options } = ctx;
  const connections = options.idleConnections;
  ctx.log(`${label}: starting the server and ${options.idleProcs} client processes`);
  const setup = await Setup.start(system, { subscribers: connections, procs: options.idleProcs, concurrency: IDLE_CONCURRENCY });
  try {
    setup.server.send({ type: 'memory' });
    const before = await setup.server.next('memory', 30_000);
    ctx.log(`${label}: opening ${connections} connections`);
    const connected = await setup.connect();
    setup.server.send({ type: 'memory' });
    const after = await setup.server.next('memory', 30_000);
    return {
      scenario: 'idle',
      case: `${connections} clients`,
      system,
      figures: {
        rssPerConn: (after.rss - before.rss) / connections,
        heapPerConn: (after.heapUsed - before.heapUsed) / connections,
        externalPerConn: (after.external - before.external) / connections,
        connPerSec: connections / (connected.elapsedMs / 1000),
        // The memory report itself (three GCs) is in there too: a few ms over thousands of connections.
        cpuUsPerConn: ((after.cpuMs - before.cpuMs) * 1000) / connections,
      },
      details: { before, after, connectMs: connected.elapsedMs },
    };
  } finally {
    await setup.close();
  }
}
