/**
 * The reconnect storm for NATS, beside Herald's (storm.ts): three `nats-server` processes joined
 * as one NATS cluster (routes between them), each with a WebSocket listener, clients spread over
 * them with `@nats-io/nats-core` over WebSocket, each subscribed to the subject. Server A is
 * SIGKILLed and a message is published on B while its clients are away.
 *
 * NATS clients rotate through their server list on their own (`servers`, kept in order with
 * `noRandomize`): a server not dialed in the last `reconnectTimeWait` (2 s) is tried at once, with
 * no delay (Herald's client waits a random 0–500 ms first, to spread a storm), and resubscribe by
 * themselves. The kill comes 2 s after the last client connected, as for clients connected for a
 * while (younger ones would wait out the 2 s before redialing their dead server); a client counts as
 * moved once a flush after its `reconnect` status came back (the server has its subscription).
 *
 * Reported: the time from the SIGKILL until every client of A is back on another server and
 * subscribed, and the surviving servers' CPU per moved client. Core NATS has no replay (JetStream,
 * a different API with streams and consumers, would be the comparable feature): the scenario counts
 * how many moved clients got the message published while they were away (expect none).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type NatsConnection, wsconnect } from '@nats-io/nats-core';
import WebSocket from 'ws';
import type { Measurement, RunContext } from '../context.js';
import { processesCpuMs } from '../external-process.js';
import { ensureNatsServer } from '../systems/nats.js';
import { eventWaiter, stormCase } from './storm.js';

const SUBJECT = 'bench.storm';


async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

interface Broker {
  child: ChildProcess;
  url: string;
  monitor: number;
  kill(): Promise<void>;
}

/** Three nats-servers routed to each other; resolves once each has routes to both others. */
async function startCluster(dir: string): Promise<Broker[]> {
  const binary = ensureNatsServer();
  const ports = await Promise.all(Array.from({ length: 3 }, async () => ({ ws: await freePort(), route: await freePort(), monitor: await freePort() })));
  const brokers = await Promise.all(
    ports.map(async (port, i) => {
      const routes = ports.filter((_, j) => j !== i).map((other) => `nats-route://127.0.0.1:${other.route}`);
      const config = join(dir, `n${i}.conf`);
      writeFileSync(
        config,
        [
          `server_name: n${i}`,
          'host: 127.0.0.1',
          'port: -1',
          `http: 127.0.0.1:${port.monitor}`,
          `websocket { host: 127.0.0.1, port: ${port.ws}, no_tls: true }`,
          `cluster { name: bench, host: 127.0.0.1, port: ${port.route}, routes: [${routes.join(', ')}] }`,
          '',
        ].join('\n'),
      );
      const child = spawn(binary, ['-c', config], { stdio: ['ignore', 'ignore', 'pipe'] });
      const exited = once(child, 'exit');
      await new Promise<void>((resolve, reject) => {
        let log = '';
        child.once('exit', (code) => reject(new Error(`nats-server exited (${code}): ${log.slice(-500)}`)));
        child.stderr!.setEncoding('utf8');
        child.stderr!.on('data', (chunk: string) => {
          log += chunk;
          if (log.includes('Listening for websocket clients')) resolve();
        });
      });
      return {
        child,
        url: `ws://127.0.0.1:${port.ws}`,
        monitor: port.monitor,
        kill: async () => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
          await exited;
        },
      };
    }),
  );
  for (const broker of brokers) {
    for (let attempt = 0; ; attempt++) {
      const routez = (await (await fetch(`http://127.0.0.1:${broker.monitor}/routez`)).json()) as { routes?: Array<{ remote_id: string }> };
      if (new Set((routez.routes ?? []).map((r) => r.remote_id)).size >= 2) break;
      if (attempt > 200) throw new Error('storm nats: the cluster routes did not form within 10 s');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  return brokers;
}

function open(servers: string[], reconnect: boolean): Promise<NatsConnection> {
  return wsconnect({
    servers,
    noRandomize: true,
    ignoreClusterUpdates: true,
    reconnect,
    maxReconnectAttempts: -1,
    timeout: 30_000,
    wsFactory: async (u: string) => ({ socket: new WebSocket(u, { perMessageDeflate: false }) as never, encrypted: false }),
  });
}

export async function runStormNats(ctx: RunContext, label: string): Promise<Measurement[]> {
  const total = ctx.options.quick ? 600 : 5000;
  const dir = mkdtempSync(join(tmpdir(), 'herald-bench-nats-cluster-'));
  const connections: NatsConnection[] = [];
  let brokers: Broker[] = [];
  try {
    brokers = await startCluster(dir);
    const urls = brokers.map((broker) => broker.url);
    ctx.log(`${label}: connecting ${total} clients over 3 servers`);
    let received = 0;
    let missedOnA = 0;
    let moved = 0;
    const victims = new Set<number>();
    const { check, until } = eventWaiter(() => `storm nats: timed out (${received} received, ${moved} moved)`);
    for (let i = 0; i < total; i++) {
      const home = i % 3;
      const nc = await open([...urls.slice(home), ...urls.slice(0, home)], true);
      connections.push(nc);
      if (home === 0) victims.add(i);
      nc.subscribe(SUBJECT, {
        callback: (error, msg) => {
          if (error !== null) return;
          received++;
          if (home === 0 && (msg.json() as { n?: number }).n === 2) missedOnA++;
          check();
        },
      });
      await nc.flush();
      if (home === 0) {
        void (async () => {
          for await (const status of nc.status()) {
            if (status.type !== 'reconnect') continue;
            await nc.flush(); // after the resubscriptions the client sent on reconnecting
            moved++;
            check();
          }
        })();
      }
    }
    const publisher = await open([urls[1]!], false);
    connections.push(publisher);
    publisher.publish(SUBJECT, JSON.stringify({ n: 1 }));
    await publisher.flush();
    await until(() => received >= total, 120_000);

    // A NATS client waits reconnectTimeWait (2 s) before dialing a server again that it dialed
    // less than that ago: here its dead server, which every client dialed a moment ago. Clients of a
    // real server have been connected longer: let 2 s pass, so the storm starts as theirs would
    // (dial the dead server once, refused at once, then the next one).
    await new Promise((resolve) => setTimeout(resolve, 2100));
    ctx.log(`${label}: SIGKILL server a (${victims.size} clients)`);
    const survivors = brokers.slice(1);
    const cpuBefore = processesCpuMs(survivors.map((broker) => broker.child.pid!));
    const killedAt = performance.now();
    await brokers[0]!.kill();
    publisher.publish(SUBJECT, JSON.stringify({ n: 2 }));
    await publisher.flush();
    const others = total - victims.size;
    await until(() => moved >= victims.size && received >= total + others + missedOnA, 120_000);
    const stormMs = performance.now() - killedAt;
    const cpu = processesCpuMs(survivors.map((broker) => broker.child.pid!)) - cpuBefore;
    return [
      {
        scenario: 'storm',
        case: stormCase(total),
        system: 'nats',
        figures: { stormMs, reconnected: victims.size, routerCpuUsPerClient: (cpu * 1000) / victims.size, missedDelivered: missedOnA },
        details: { received, cluster: '3 nats-server with routes', note: 'core NATS: no replay, the missed message is lost for the moved clients' },
      },
    ];
  } finally {
    await Promise.all(connections.map((nc) => nc.close().catch(() => {})));
    await Promise.all(brokers.map((broker) => broker.kill()));
    rmSync(dir, { recursive: true, force: true });
  }
}
