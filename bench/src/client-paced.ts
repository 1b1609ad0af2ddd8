/**
 * Client CPU per delivery when each wake-up carries one message (issue 16, "Latency"):
 * `node dist/client-paced.js [--clients K] [--rate R] [--messages M] [--rounds N] [--warm W] [--ways a,b]`.
 * Each way's server runs in a child process, so that only the clients' CPU is in this one; K
 * clients of every way stay connected in this process, each subscribed to one topic. A round has
 * one way's server publish M 200-byte messages, one every 1/R s (200 msg/s by default: the latency
 * scenario's rate), so that every socket read finds one message, and measures this process's CPU
 * (`process.cpuUsage()`, user + system, every thread), read system calls (`/proc/self/io`) and the
 * main thread's sleeps (waits for the event loop that blocked, `/proc/thread-self/status`) from the
 * first publish to the last delivery, per delivery. K = 50 by default: a subscriber process of the
 * latency scenario at N = 100. Ways alternate round by round (ABBA...);
 * the script prints the median of the rounds per way, its ratio to the first way, and the median
 * and quartiles of the ratios of rounds of the same pass (paired). Ways:
 * - `herald`: `connect()` and `subscribe()` from `@herald/client`, at the Herald router;
 * - `ws-superjson`: the raw `ws` client of bench/src/systems/ws-raw.ts (`String(buffer)`,
 *   `superjson.parse`), at the corked raw `ws` + superjson server;
 * - `ws@herald`: a raw `ws` client at the Herald router (hello in the upgrade, a `subscribe`
 *   frame), reading each `message` frame as the raw client does (the payload after the header
 *   line, `superjson.parse`): the router and transport of Herald, the client code of the raw loop;
 * - `decode@herald`: the same with Herald's decoders instead (`decodeServerText`, the superjson
 *   codec's `decode`), without the rest of Herald's client (link, dispatch, subscriptions).
 * The latency scenario's "client CPU µs per delivery" is the same CPU with the router and the other
 * subscriber processes sharing the machine. Not a timed test.
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { decodeServerText, helloSubprotocol, superjsonCodec } from '@herald/protocol';
import superjson from 'superjson';
import WebSocket from 'ws';
import { readSyscalls, threadSleeps } from './cpu.js';
import { watchGc } from './gc-watch.js';
import { makePayload } from './payload.js';
import { type BenchClient, type BenchPayload, type BenchServer, type SystemName, loadSystem } from './systems/system.js';

const TOPIC = 'paced.topic';

type ToServer = { type: 'run'; count: number; intervalMs: number };
type FromServer = { type: 'ready'; url: string } | { type: 'published' };

/** The child: a system's server, publishing `count` messages paced on command. */
async function serve(system: SystemName): Promise<void> {
  const server: BenchServer = await (await loadSystem(system)).startServer({ onError: (error) => console.error('server:', error) });
  process.send!({ type: 'ready', url: server.url } satisfies FromServer);
  let seq = 0;
  process.on('message', ({ count, intervalMs }: ToServer) => {
    // Each publish at its own time from the start (not from the previous one): no drift.
    const start = performance.now();
    let sent = 0;
    const tick = (): void => {
      server.publish(TOPIC, makePayload(++seq, 200));
      if (++sent === count) {
        process.send!({ type: 'published' } satisfies FromServer);
        return;
      }
      setTimeout(tick, Math.max(0, start + sent * intervalMs - performance.now()));
    };
    tick();
  });
  process.on('disconnect', () => void server.close().then(() => process.exit(0)));
}

interface Server {
  url: string;
  run(command: ToServer): void;
  stop(): void;
}

async function startServer(system: SystemName): Promise<Server> {
  const child = fork(fileURLToPath(import.meta.url), ['--serve', system], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const [message] = (await once(child, 'message')) as [Extract<FromServer, { type: 'ready' }>];
  return { url: message.url, run: (command) => child.send(command), stop: () => child.kill() };
}

/**
 * A raw `ws` client at the Herald router: hello in the upgrade, one subscribe, then each message
 * read as the raw client reads it (`decode` false: `superjson.parse` of the text after the header
 * line), or with Herald's own decoders and nothing else of its client (`decodeServerText`, the
 * superjson codec's `decode`).
 */
async function rawAtHerald(url: string, onMessage: (data: BenchPayload) => void, decode: boolean): Promise<BenchClient> {
  const socket = new WebSocket(url, ['herald.v1.superjson', helloSubprotocol('{"type":"hello"}')!], { perMessageDeflate: false });
  await once(socket, 'message'); // the welcome
  socket.send('{"type":"subscribe","id":1,"pattern":"paced.topic"}');
  await once(socket, 'message'); // subscribed
  if (decode) {
    socket.on('message', (raw) => {
      const frame = decodeServerText(String(raw));
      if (!frame.ok || frame.value.type !== 'message') return;
      const value = superjsonCodec.decode(frame.value.payload as string);
      if (value.ok) onMessage(value.value as BenchPayload);
    });
  } else {
    socket.on('message', (raw) => {
      const text = String(raw);
      onMessage(superjson.parse<BenchPayload>(text.slice(text.indexOf('\n') + 1)));
    });
  }
  return { close: () => socket.terminate() };
}

interface Way {
  name: string;
  server: Server;
  /** Set before each round: resolves once every client has the round's last message. */
  done: (() => void) | undefined;
  expected: number;
  received: number;
}

interface Round {
  cpuUs: number;
  reads: number;
  /** The main thread's sleeps (voluntary context switches: epoll waits that blocked) per delivery. */
  sleeps: number;
  /** GC pauses (main thread) per delivery, µs, and scavenges and mark-compacts per 1,000 deliveries. */
  gcUs: number;
  gcPer1000: number;
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[values.length >> 1]!;

async function round(way: Way, clients: number, messages: number, intervalMs: number): Promise<Round> {
  way.received = 0;
  way.expected = clients * messages;
  const finished = new Promise<void>((resolve) => (way.done = resolve));
  const readsFrom = readSyscalls() ?? 0;
  const sleepsFrom = (threadSleeps() ?? 0);
  const stopGc = watchGc();
  const from = process.cpuUsage();
  way.server.run({ type: 'run', count: messages, intervalMs });
  await finished;
  const used = process.cpuUsage(from);
  const gc = stopGc();
  const reads = (readSyscalls() ?? 0) - readsFrom;
  const sleeps = (threadSleeps() ?? 0) - sleepsFrom;
  return { cpuUs: (used.user + used.system) / way.expected, reads: reads / way.expected, sleeps: sleeps / way.expected, gcUs: (gc.totalMs * 1000) / way.expected, gcPer1000: (gc.count * 1000) / way.expected };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { clients: { type: 'string' }, rate: { type: 'string' }, messages: { type: 'string' }, rounds: { type: 'string' }, warm: { type: 'string' }, ways: { type: 'string' }, serve: { type: 'string' } },
  });
  if (values.serve !== undefined) return serve(values.serve as SystemName);
  const clients = Number(values.clients ?? 50);
  const rate = Number(values.rate ?? 200);
  const messages = Number(values.messages ?? 600);
  const rounds = Number(values.rounds ?? 6);
  const warm = Number(values.warm ?? 200);
  const names = (values.ways ?? 'herald,ws-superjson,ws@herald').split(',');
  const serverOf = (name: string): SystemName => (name === 'herald' || name.endsWith('@herald') ? 'herald' : name === 'ws-superjson' ? 'ws-superjson-corked' : (name as SystemName));
  // A server per way, so that a round's messages reach that way's clients only.
  const servers = new Map<string, Server>();
  for (const name of names) servers.set(name, await startServer(serverOf(name)));
  try {
    const ways: Way[] = [];
    const opened: BenchClient[] = [];
    for (const name of names) {
      const way: Way = { name, server: servers.get(name)!, done: undefined, expected: 0, received: 0 };
      const onMessage = (): void => {
        if (++way.received === way.expected) way.done?.();
      };
      const adapter = name.endsWith('@herald') ? undefined : await loadSystem(name === 'ws-superjson' ? 'ws-superjson-corked' : (name as SystemName));
      for (let i = 0; i < clients; i++) {
        opened.push(adapter === undefined ? await rawAtHerald(way.server.url, onMessage, name === 'decode@herald') : await adapter.connect(way.server.url, { topic: TOPIC, onMessage, onError: (e) => console.error(e) }, 20_000));
      }
      ways.push(way);
    }
    const intervalMs = 1000 / rate;
    const run = (way: Way, count: number): Promise<Round> => round(way, clients, count, intervalMs);
    for (const way of ways) if (warm > 0) await run(way, warm);
    const results = new Map(ways.map((way) => [way.name, [] as Round[]]));
    for (let r = 0; r < rounds; r++) {
      for (const way of r % 2 === 0 ? ways : [...ways].reverse()) results.get(way.name)!.push(await run(way, messages));
    }
    const first = median(results.get(ways[0]!.name)!.map((x) => x.cpuUs));
    console.log(`client CPU per delivery, ${clients} clients per way, ${messages} messages at ${rate}/s per round, median of ${rounds} rounds (this process; servers in children):`);
    for (const [name, list] of results) {
      const cpu = median(list.map((x) => x.cpuUs));
      console.log(
        `  ${name.padEnd(13)} ${cpu.toFixed(2).padStart(6)} µs  ${(cpu / first).toFixed(2)}× ${ways[0]!.name}  reads per delivery ${median(list.map((x) => x.reads)).toFixed(2)}, sleeps ${median(list.map((x) => x.sleeps)).toFixed(3)}, GC ${median(list.map((x) => x.gcUs)).toFixed(2)} µs (${median(list.map((x) => x.gcPer1000)).toFixed(2)} per 1,000)   rounds: ${list.map((x) => x.cpuUs.toFixed(1)).join(' ')}`,
      );
    }
    // Paired: each way's round against the first way's round of the same pass (they ran back to back).
    const base = results.get(ways[0]!.name)!;
    for (const [name, list] of [...results].slice(1)) {
      const ratios = list.map((x, i) => x.cpuUs / base[i]!.cpuUs).sort((a, b) => a - b);
      const quartile = (q: number): string => ratios[Math.min(ratios.length - 1, Math.floor(q * ratios.length))]!.toFixed(2);
      console.log(`  ${name} / ${ways[0]!.name}, paired by pass: median ${quartile(0.5)}× [quartiles ${quartile(0.25)}–${quartile(0.75)}]`);
    }
    for (const client of opened) client.close();
  } finally {
    for (const server of servers.values()) server.stop();
  }
}

if (process.argv.includes('--serve')) await main();
else {
  await main();
  process.exit(0);
}
