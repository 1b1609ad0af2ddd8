/**
 * Client CPU per connect: `node dist/client-connect.js [--connects N] [--in-flight K] [--rounds R]`.
 * Starts the Herald router and the raw `ws` server (ws+superjson's) in child processes, so that
 * only the clients' CPU is in this one, then opens N clients, K in flight, three ways, alternating
 * round by round, and reports this process's CPU (`process.cpuUsage()`, user + system) per
 * connect, median of R rounds (the clients of a round are closed after it, outside the measured
 * time; no forced GC in between: a full GC also drops the bytecode of functions not run lately,
 * and the next round would compile them again):
 * - `ws`: a raw `ws` client against the raw `ws` server, done on `open` (what ws-raw.ts does);
 * - `ws + hello`: a raw `ws` client against the Herald router, its hello in the upgrade
 *   (PROTOCOL.md §2), done on the welcome: the floor of any client of Herald's protocol on `ws`;
 * - `herald`: `connect()` from `@herald/client`, done when it resolves.
 * The idle scenario's "client CPU µs per connect" is the same CPU with the router sharing the
 * machine; this takes the router's speed out of the comparison (a slower router spreads the
 * events a client wakes up for, which costs the client more per connect). Not a timed test.
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type Client, connect } from '@herald/client';
import { helloSubprotocol } from '@herald/protocol';
import WebSocket from 'ws';
import { type BenchServer, type SystemName, loadSystem } from './systems/system.js';

const WARM_CONNECTS = 1000;

/** The child: the system's server, until the parent goes away. */
async function serve(system: SystemName): Promise<void> {
  const server: BenchServer = await (await loadSystem(system)).startServer({ onError: (error) => console.error('server:', error) });
  process.send!({ url: server.url });
  process.on('disconnect', () => void server.close().then(() => process.exit(0)));
}

async function startServer(system: SystemName): Promise<{ url: string; stop: () => void }> {
  const child = fork(fileURLToPath(import.meta.url), ['--serve', system], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const [message] = (await once(child, 'message')) as [{ url: string }];
  return { url: message.url, stop: () => child.kill() };
}

/** An open client; `close()` resolves once its socket is closed. */
interface Opened {
  close(): Promise<unknown>;
}

interface Way {
  name: string;
  open(): Promise<Opened>;
}

function rawWs(url: string, protocols: string[], doneOn: 'open' | 'message'): Promise<Opened> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, protocols, { perMessageDeflate: false });
    socket.on('error', reject);
    socket.once(doneOn, () =>
      resolve({
        close: () => {
          socket.terminate();
          return once(socket, 'close');
        },
      }),
    );
  });
}

/** CPU µs per connect (user + system, and user) of one round of `connects`, `inFlight` at a time. */
async function round(way: Way, connects: number, inFlight: number): Promise<{ total: number; user: number }> {
  const open: Opened[] = [];
  let next = 0;
  const from = process.cpuUsage();
  await Promise.all(
    Array.from({ length: Math.min(inFlight, connects) }, async () => {
      while (next < connects) {
        next++;
        open.push(await way.open());
      }
    }),
  );
  const used = process.cpuUsage(from);
  await Promise.all(open.map((client) => client.close()));
  return { total: (used.user + used.system) / connects, user: used.user / connects };
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[values.length >> 1]!;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { connects: { type: 'string' }, 'in-flight': { type: 'string' }, rounds: { type: 'string' }, serve: { type: 'string' } } });
  if (values.serve !== undefined) return serve(values.serve as SystemName);
  const connects = Number(values.connects ?? 2000);
  const inFlight = Number(values['in-flight'] ?? 64);
  const rounds = Number(values.rounds ?? 8);
  const [router, wsServer] = await Promise.all([startServer('herald'), startServer('ws-superjson')]);
  try {
    const entry = helloSubprotocol('{"type":"hello"}')!;
    const ways: Way[] = [
      { name: 'ws', open: () => rawWs(wsServer.url, [], 'open') },
      { name: 'ws + hello', open: () => rawWs(router.url, ['herald.v1.superjson', entry], 'message') },
      {
        name: 'herald',
        open: async () => {
          const client: Client = await connect(router.url, { connectTimeoutMs: 20_000 });
          return { close: () => client.close() };
        },
      },
    ];
    for (const way of ways) await round(way, WARM_CONNECTS, inFlight);
    const results = new Map(ways.map((way) => [way.name, [] as Array<{ total: number; user: number }>]));
    for (let r = 0; r < rounds; r++) {
      for (const way of r % 2 === 0 ? ways : [...ways].reverse()) results.get(way.name)!.push(await round(way, connects, inFlight));
    }
    const ws = median(results.get('ws')!.map((x) => x.total));
    console.log(`client CPU per connect, ${connects} connects ${inFlight} in flight, median of ${rounds} rounds (this process only; servers in children):`);
    for (const [name, list] of results) {
      const total = median(list.map((x) => x.total));
      console.log(`  ${name.padEnd(11)} ${total.toFixed(1).padStart(6)} µs (user ${median(list.map((x) => x.user)).toFixed(1)})  ${(total / ws).toFixed(2)}× ws   rounds: ${list.map((x) => x.total.toFixed(0)).join(' ')}`);
    }
  } finally {
    router.stop();
    wsServer.stop();
  }
}

await main();
