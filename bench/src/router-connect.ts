/**
 * Router CPU per connect: `node dist/router-connect.js [--connects N] [--in-flight K] [--rounds R]
 * [--before path/to/server/dist/index.js] [--only herald]`.
 * Each server runs in a child process of its own and the clients in another, so that a server's
 * `process.cpuUsage()` over a burst of N connects (K in flight) is its CPU alone; the servers take
 * their bursts in turn, the order reversed every other round, and each figure is the median of R
 * rounds (the clients of a burst are closed after it, outside the measured time):
 * - `ws`: a raw `ws` server (`WebSocketServer` on its own port), a raw `ws` client done on `open`:
 *   the raw accept, as ws-raw.ts's servers do it;
 * - `ws + welcome`: the same server picking `herald.v1.superjson` among the client's offers (a codec
 *   and a hello entry, as Herald's client sends them) and answering each connect with a fixed
 *   welcome corked with the 101: the floor of any protocol with a hello and a welcome;
 * - `herald`: the router as the bench runs it (bench/src/systems/herald.ts's options), the same
 *   client as the floor's, done on the welcome;
 * - `herald-before` (with `--before`): the same from another build of @herald/server, for an A/B of
 *   a change (copy `packages/server/dist` under `packages/server/node_modules/.before/` first, so
 *   that it resolves the same dependencies).
 * Raw `ws` clients on every side keep the client's cost the same and small. The servers run with
 * the idle scenario's young generation (`--semi-space`, MB per semi-space, 1 by default as there;
 * V8's default grows it to 16, and then scavenges fewer times per connect). Not a timed test.
 */
import { type ChildProcess, fork, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { PerformanceObserver } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { helloSubprotocol } from '@herald/protocol';
import WebSocket, { WebSocketServer } from 'ws';
import { BENCH_ROUTER_OPTIONS, benchHeartbeat } from './systems/herald-options.js';

const WARM_CONNECTS = 2000;
/** The bench's idle scenario: no heartbeat tick inside a burst. */
const HEARTBEAT_MS = 10 * 60_000;
/** A welcome as long as Herald's for the hello below (id, name, resume token, limits). */
const FIXED_WELCOME =
  '{"type":"welcome","id":"c-2b3f9a1d7e6c4b08","name":"c-2b3f9a1d7e6c4b08","router":{"id":"r-5a1c","name":"router"},' +
  '"resume":"c-2b3f9a1d7e6c4b08.Jx0wQ2m8v9rT4kLp7sNcYdE1uHbGa3Fz6iOq5WjXyPo","maxPayload":1048576,"heartbeatMs":600000,' +
  '"heartbeatTimeoutMs":1800000,"dedupeMs":60000}';
const HELLO_ENTRY = helloSubprotocol('{"type":"hello"}')!;
const OFFER = ['herald.v1.superjson', HELLO_ENTRY];

type ServerKind = 'ws' | 'floor' | 'herald';

interface Started {
  url: string;
}

/** A server child: starts, tells its URL, answers `cpu` with its `process.cpuUsage()`. */
async function serve(kind: ServerKind, serverPath: string | undefined): Promise<void> {
  let url: string;
  if (kind === 'herald') {
    const { createRouter } = (await import(serverPath === undefined ? '@herald/server' : pathToFileURL(serverPath).href)) as typeof import('@herald/server');
    const router = await createRouter({ ...BENCH_ROUTER_OPTIONS, ...benchHeartbeat(HEARTBEAT_MS) });
    url = router.url;
  } else {
    const floor = kind === 'floor';
    const wss = new WebSocketServer({
      host: '127.0.0.1',
      port: 0,
      perMessageDeflate: false,
      maxPayload: 2 * 1024 * 1024,
      ...(floor && {
        handleProtocols: (offered: Set<string>, request: import('node:http').IncomingMessage) => {
          request.socket.cork();
          return offered.has('herald.v1.superjson') ? 'herald.v1.superjson' : false;
        },
      }),
    });
    await once(wss, 'listening');
    wss.on('connection', (socket, request) => {
      socket.on('error', () => undefined);
      socket.on('message', () => undefined);
      if (floor) {
        socket.send(FIXED_WELCOME);
        request.socket.uncork();
      }
    });
    url = `ws://127.0.0.1:${(wss.address() as { port: number }).port}`;
  }
  // GC time (ms, by kind: minor, major...) alongside the CPU, to tell a burst's GC from its work.
  const gc: Record<string, number> = {};
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = String((entry as { detail?: { kind?: number } }).detail?.kind ?? '?');
      gc[kind] = (gc[kind] ?? 0) + entry.duration;
      gc[`n${kind}`] = (gc[`n${kind}`] ?? 0) + 1;
    }
  }).observe({ entryTypes: ['gc'] });
  // `--heap-profile`: V8's sampling heap profiler over the measured rounds, garbage included.
  const session = new Session();
  process.on('message', (message) => {
    if (message === 'cpu') process.send!({ ...process.cpuUsage(), gc: { ...gc } });
    // Between bursts: a scavenge, so that each burst starts with an empty young generation (as the
    // bench's idle burst does, after its memory baseline's GC), whatever the closes left in it.
    else if (message === 'settle') {
      (globalThis as { gc?: (options: object) => void }).gc?.({ type: 'minor' });
      process.send!('settled');
    }
    else if (message === 'heap-start') {
      session.connect();
      session.post('HeapProfiler.startSampling', { samplingInterval: 512, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true }, () =>
        process.send!('started'),
      );
    } else if (typeof message === 'object' && message !== null && 'heapStop' in message) {
      session.post('HeapProfiler.stopSampling', (error, result) => {
        writeFileSync(String(message.heapStop), JSON.stringify(error ?? result.profile));
        process.send!('stopped');
      });
    }
  });
  process.on('disconnect', () => process.exit(0));
  process.send!({ url } satisfies Started);
}

interface Burst {
  url: string;
  protocols: string[];
  doneOn: 'open' | 'message';
  connects: number;
  inFlight: number;
}

/** The clients' child: a burst of connects, `done` with its wall time, then closes them all. */
function clients(): void {
  process.on('message', (burst: Burst) => void run(burst));
  process.on('disconnect', () => process.exit(0));
  async function run({ url, protocols, doneOn, connects, inFlight }: Burst): Promise<void> {
    const open: WebSocket[] = [];
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: Math.min(inFlight, connects) }, async () => {
        while (next < connects) {
          next++;
          open.push(
            await new Promise<WebSocket>((resolve, reject) => {
              const socket = new WebSocket(url, protocols, { perMessageDeflate: false });
              socket.on('error', reject);
              socket.once(doneOn, () => resolve(socket));
            }),
          );
        }
      }),
    );
    process.send!({ done: performance.now() - started });
    await Promise.all(open.map((socket) => (socket.terminate(), once(socket, 'close'))));
    process.send!({ closed: true });
  }
}

function child(args: string[], execArgv: string[] = []): ChildProcess {
  return fork(fileURLToPath(import.meta.url), args, { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

async function reply<T>(process: ChildProcess, message?: unknown): Promise<T> {
  const answer = once(process, 'message') as Promise<[T]>;
  if (message !== undefined) process.send(message as string);
  return (await answer)[0];
}

interface Side {
  name: string;
  server: ChildProcess;
  url: string;
  protocols: string[];
  doneOn: 'open' | 'message';
}

interface Usage extends NodeJS.CpuUsage {
  gc: Record<string, number>;
}

interface Measure {
  /** GC pauses in µs per connect (minor, major: V8's kinds 1 and 4). */
  minor: number;
  major: number;
  /** Scavenges per 1,000 connects (more garbage per connect, more of them). */
  scavenges: number;
  total: number;
  user: number;
  perSecond: number;
}

async function burst(side: Side, clientChild: ChildProcess, connects: number, inFlight: number): Promise<Measure> {
  const from = await reply<Usage>(side.server, 'cpu');
  const { done } = await reply<{ done: number }>(clientChild, { url: side.url, protocols: side.protocols, doneOn: side.doneOn, connects, inFlight } satisfies Burst);
  const to = await reply<Usage>(side.server, 'cpu');
  await reply(clientChild);
  await reply(side.server, 'settle');
  const user = to.user - from.user;
  const gc = (kind: string): number => (((to.gc[kind] ?? 0) - (from.gc[kind] ?? 0)) * 1000) / connects;
  return { minor: gc('1'), major: gc('4'), scavenges: gc('n1'), total: (user + to.system - from.system) / connects, user: user / connects, perSecond: (connects * 1000) / done };
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[values.length >> 1]!;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      connects: { type: 'string' },
      'in-flight': { type: 'string' },
      rounds: { type: 'string' },
      before: { type: 'string' },
      only: { type: 'string' },
      serve: { type: 'string' },
      server: { type: 'string' },
      clients: { type: 'boolean' },
      perf: { type: 'string' },
      'perf-side': { type: 'string' },
      'heap-profile': { type: 'string' },
      'semi-space': { type: 'string' },
      'node-flags': { type: 'string' },
    },
  });
  if (values.serve !== undefined) return serve(values.serve as ServerKind, values.server);
  if (values.clients) return clients();
  const connects = Number(values.connects ?? 2000);
  const inFlight = Number(values['in-flight'] ?? 32);
  const rounds = Number(values.rounds ?? 9);
  const wanted: Array<[string, ServerKind, string | undefined, string[], 'open' | 'message']> = [
    ['ws', 'ws', undefined, [], 'open'],
    ['ws + welcome', 'floor', undefined, OFFER, 'message'],
    ['herald', 'herald', undefined, OFFER, 'message'],
    ...(values.before === undefined ? [] : [['herald-before', 'herald', values.before, OFFER, 'message'] as const]),
  ].filter(([name]) => values.only === undefined || values.only.split(',').includes(name as string)) as typeof wanted;
  const sides: Side[] = await Promise.all(
    wanted.map(async ([name, kind, path, protocols, doneOn]) => {
      const profiled = values.perf !== undefined && name === (values['perf-side'] ?? 'herald');
      const server = child(['--serve', kind, ...(path === undefined ? [] : ['--server', path])], ['--expose-gc', `--max-semi-space-size=${values['semi-space'] ?? 1}`, ...(values['node-flags']?.split(' ').filter(Boolean) ?? []), ...(profiled ? ['--perf-basic-prof'] : [])]);
      const { url } = await reply<Started>(server);
      console.log(`${name}: pid ${server.pid}`);
      return { name, server, url, protocols, doneOn };
    }),
  );
  const clientChild = child(['--clients']);
  try {
    for (let warm = 0; warm < 2; warm++) for (const side of sides) await burst(side, clientChild, WARM_CONNECTS, inFlight);
    // `--perf FILE`: the herald side's CPU samples over the measured rounds (`perf report -i FILE`).
    const herald = sides.find((side) => side.name === (values['perf-side'] ?? 'herald'));
    const perf =
      values.perf === undefined || herald === undefined
        ? undefined
        : spawn('perf', ['record', '-e', 'cpu-clock', '-F', '2999', '-g', '-p', String(herald.server.pid), '-o', values.perf], { stdio: 'inherit' });
    const heapSide = values['heap-profile'] === undefined ? undefined : sides.find((side) => side.name === (values['perf-side'] ?? 'herald'));
    if (heapSide !== undefined) await reply(heapSide.server, 'heap-start');
    const results = new Map(sides.map((side) => [side.name, [] as Measure[]]));
    for (let r = 0; r < rounds; r++) {
      for (const side of r % 2 === 0 ? sides : [...sides].reverse()) results.get(side.name)!.push(await burst(side, clientChild, connects, inFlight));
    }
    if (heapSide !== undefined) await reply(heapSide.server, { heapStop: values['heap-profile'] });
    if (perf !== undefined) {
      perf.kill('SIGINT');
      await once(perf, 'exit');
    }
    const base = median(results.get('ws')?.map((x) => x.total) ?? [NaN]);
    const baseRate = median(results.get('ws')?.map((x) => x.perSecond) ?? [NaN]);
    console.log(`router CPU per connect, ${connects} connects ${inFlight} in flight, median of ${rounds} rounds (servers and clients in children):`);
    for (const [name, list] of results) {
      const total = median(list.map((x) => x.total));
      const rate = median(list.map((x) => x.perSecond));
      console.log(
        `  ${name.padEnd(13)} ${total.toFixed(1).padStart(6)} µs (user ${median(list.map((x) => x.user)).toFixed(1)})  ${(total / base).toFixed(2)}× ws` +
          `  gc minor ${median(list.map((x) => x.minor)).toFixed(1)} major ${median(list.map((x) => x.major)).toFixed(1)}` +
          ` (${median(list.map((x) => x.scavenges)).toFixed(1)} scavenges per 1k)` +
          `  ${rate.toFixed(0)}/s ${(rate / baseRate).toFixed(2)}×   rounds: ${list.map((x) => `${x.total.toFixed(0)}${x.major > 0 ? '*' : ''}`).join(' ')}`,
      );
    }
    const after = results.get('herald');
    const before = results.get('herald-before');
    if (after !== undefined && before !== undefined) {
      const paired = after.map((x, i) => x.total - before[i]!.total);
      console.log(`  herald − herald-before, paired by round: median ${median(paired).toFixed(1)} µs per connect (${paired.map((d) => d.toFixed(0)).join(' ')})`);
    }
  } finally {
    for (const side of sides) side.server.kill();
    clientChild.kill();
  }
}

await main();
