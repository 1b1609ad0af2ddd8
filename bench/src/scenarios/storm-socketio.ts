/**
 * The reconnect storm for Socket.IO, beside Herald's (storm.ts): three Socket.IO servers in
 * separate processes joined by `@socket.io/redis-adapter` over a private redis-server, clients
 * spread over them, each in the topic's room. Server A is SIGKILLed and a message is published on
 * B while its clients are away.
 *
 * Socket.IO's client reconnects to the URL it was given only; a client of a dead server must open a
 * socket to another server itself. Each client here does what Herald's client does: after the
 * same first delay (uniform in 0–500 ms, Herald's `backoffDelay`), it connects to the next server
 * of its list and joins the room again (`subscribe`, acknowledged).
 *
 * Reported: the time from the SIGKILL until every client of A is connected to another server and
 * back in the room, and the surviving servers' CPU per moved client. Socket.IO cannot replay what
 * was published while a client was away (its connection-state recovery is per server, and lost
 * with the server): the scenario counts how many moved clients got that message (expect none)
 * instead of waiting for it.
 */
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { backoffDelay } from '@herald/client';
import { spawnScript, startRedisServer } from '@herald/testkit';
import { type Socket, io } from 'socket.io-client';
import type { Measurement, RunContext } from '../context.js';
import { processesCpuMs } from '../external-process.js';
import { eventWaiter, stormCase } from './storm.js';

const TOPIC = 'bench.storm';

interface ServerProcess {
  child: ChildProcess;
  url: string;
  kill(): Promise<void>;
}

async function spawnServer(redisUrl: string): Promise<ServerProcess> {
  const script = fileURLToPath(new URL('../socketio-cluster-process.js', import.meta.url));
  const server = await spawnScript<{ port: number }>(script, [], { REDIS_URL: redisUrl });
  return { child: server.child, url: `http://127.0.0.1:${server.ready.port}`, kill: server.kill };
}

/** Opens a socket to `url` and joins the topic's room; resolves once the server acknowledged. */
async function join(url: string, onMessage: (data: { n?: number }) => void, onLost: () => void): Promise<Socket> {
  const socket = io(url, { transports: ['websocket'], forceNew: true, reconnection: false, timeout: 30_000 });
  socket.on('message', onMessage);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  socket.on('disconnect', (reason) => {
    if (reason !== 'io client disconnect') onLost();
  });
  await socket.timeout(30_000).emitWithAck('subscribe', TOPIC);
  return socket;
}

export async function runStormSocketio(ctx: RunContext, label: string): Promise<Measurement[]> {
  const total = ctx.options.quick ? 600 : 5000;
  await using redis = await startRedisServer({ own: true });
  const servers = await Promise.all([0, 1, 2].map(() => spawnServer(redis.url)));
  const urls = servers.map((server) => server.url);
  const sockets = new Set<Socket>();
  try {
    ctx.log(`${label}: connecting ${total} clients over 3 servers`);
    let received = 0;
    let missedOnA = 0;
    let moved = 0;
    const victims = new Set<number>();
    const failures: unknown[] = [];
    const { check, until } = eventWaiter(
      () => `storm socket.io: timed out (${received} received, ${moved} moved, ${failures.length} failed)`,
      () => (failures.length > 0 ? new Error(`storm socket.io: ${failures.length} reconnects failed: ${String(failures[0])}`) : undefined),
    );
    for (let i = 0; i < total; i++) {
      const home = i % 3;
      const list = [...urls.slice(home), ...urls.slice(0, home)];
      if (home === 0) victims.add(i);
      let at = 0;
      const onMessage = (data: { n?: number }): void => {
        received++;
        if (home === 0 && data.n === 2) missedOnA++;
        check();
      };
      const onLost = (): void => {
        // What Herald's client does: wait its first backoff delay, then try the next URL.
        at = (at + 1) % list.length;
        setTimeout(() => {
          join(list[at]!, onMessage, onLost).then(
            (socket) => {
              sockets.add(socket);
              moved++;
              check();
            },
            (error: unknown) => {
              failures.push(error);
              check();
            },
          );
        }, backoffDelay(0, 500, 10_000));
      };
      sockets.add(await join(list[0]!, onMessage, onLost));
    }
    const publisher = io(urls[1]!, { transports: ['websocket'], forceNew: true, reconnection: false });
    sockets.add(publisher);
    await new Promise<void>((resolve, reject) => {
      publisher.once('connect', () => resolve());
      publisher.once('connect_error', reject);
    });
    await publisher.timeout(30_000).emitWithAck('publish', TOPIC, { n: 1 });
    await until(() => received >= total, 120_000);

    ctx.log(`${label}: SIGKILL server a (${victims.size} clients)`);
    const survivors = servers.slice(1);
    const cpuBefore = processesCpuMs(survivors.map((server) => server.child.pid!));
    const killedAt = performance.now();
    await servers[0]!.kill();
    await publisher.timeout(30_000).emitWithAck('publish', TOPIC, { n: 2 });
    const others = total - victims.size;
    await until(() => moved >= victims.size && received >= total + others + missedOnA, 120_000);
    const stormMs = performance.now() - killedAt;
    const cpu = processesCpuMs(survivors.map((server) => server.child.pid!)) - cpuBefore;
    return [
      {
        scenario: 'storm',
        case: stormCase(total),
        system: 'socketio',
        figures: { stormMs, reconnected: victims.size, routerCpuUsPerClient: (cpu * 1000) / victims.size, missedDelivered: missedOnA },
        details: { received, adapter: '@socket.io/redis-adapter', note: 'no replay across servers: the missed message is lost for the moved clients' },
      },
    ];
  } finally {
    for (const socket of sockets) socket.close();
    await Promise.all(servers.map((server) => server.kill()));
  }
}
