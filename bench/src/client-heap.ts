/**
 * Heap per subscribed client: `node --expose-gc dist/client-heap.js [--clients N] [--systems a,b]
 * [--cpu MESSAGES [--sliding]] [--rounds R]`.
 * For each system, starts its server in a child process (so that only the clients' heap is in this
 * one), connects N clients, subscribes each to one topic, lets the server publish a few messages
 * that every client receives, then reports V8's heapUsed after full GCs, per client, against the
 * same before any client. What a subscriber holds is what each of V8's mark-compacts marks: the
 * fan-out scenario's client CPU at N = 1,000 pays for it on V8's helper threads (bench/README,
 * "Client CPU per delivery in fan-out"). Not a timed measure: the figures are bytes.
 *
 * With `--cpu`, the same clients then receive that many more 200-byte messages, published in
 * windows of 32 (the next window once every client has the last), and the script reports this
 * process's CPU per delivery (`process.cpuUsage()`: every thread, V8's GC helpers included; the
 * server's CPU is in the other process), `--rounds` times, systems alternating. `--sliding`: 32
 * messages in flight instead, one more published as each reaches every client, as the fan-out
 * scenario publishes. One process with
 * all the clients is one of the fan-out scenario's subscriber processes, without the router's
 * share of the machine in the figure.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { memoryAfterGc } from './gc-watch.js';
import { makePayload } from './payload.js';
import { type BenchClient, type BenchServer, type SystemName, isSystemName, loadSystem } from './systems/system.js';

const TOPIC = 'heap.topic';
const WARM_MESSAGES = 20;
const WINDOW = 32;

interface ToServer {
  type: 'publish';
  count: number;
}
type FromServer = { type: 'ready'; url: string } | { type: 'published' };

/** The child: the system's server, publishing on command. */
async function serve(system: SystemName): Promise<void> {
  const adapter = await loadSystem(system);
  const server: BenchServer = await adapter.startServer({ onError: (error) => console.error('server:', error) });
  process.send!({ type: 'ready', url: server.url } satisfies FromServer);
  let seq = 0;
  process.on('message', (command: ToServer) => {
    for (let i = 0; i < command.count; i++) server.publish(TOPIC, makePayload(++seq, 200));
    process.send!({ type: 'published' } satisfies FromServer);
  });
  process.on('disconnect', () => void server.close().then(() => process.exit(0)));
}

async function heapAfterGc(): Promise<number> {
  return (await memoryAfterGc(4)).heapUsed;
}

/** Heap bytes per client of `system`, `clients` clients subscribed to one topic. */
async function measure(system: SystemName, clients: number, cpuMessages: number, sliding: boolean): Promise<{ perClient: number; total: number; cpuUsPerDelivery: number }> {
  const child = fork(fileURLToPath(import.meta.url), ['--serve', system], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const next = (type: FromServer['type']): Promise<FromServer> =>
    new Promise((resolve, reject) => {
      const onMessage = (message: FromServer): void => {
        if (message.type !== type) return;
        child.off('message', onMessage);
        resolve(message);
      };
      child.on('message', onMessage);
      child.once('exit', (code) => reject(new Error(`server exited (${code})`)));
    });
  try {
    const { url } = (await next('ready')) as Extract<FromServer, { type: 'ready' }>;
    const adapter = await loadSystem(system);
    let received = 0;
    let expected = clients * WARM_MESSAGES;
    let allReceived: (() => void) | undefined;
    /** Sliding mode: per seq (mod 4096), how many clients have it; each complete seq lets one more go. */
    const counts = new Int32Array(4096);
    let onComplete: (() => void) | undefined;
    const onMessage = (data: { seq: number }): void => {
      if (++received === expected) allReceived?.();
      if (onComplete !== undefined && ++counts[data.seq % 4096]! === clients) {
        counts[data.seq % 4096] = 0;
        onComplete();
      }
    };
    const before = await heapAfterGc();
    const opened: BenchClient[] = [];
    for (let i = 0; i < clients; i += 50) {
      const batch = Math.min(50, clients - i);
      opened.push(...(await Promise.all(Array.from({ length: batch }, () => adapter.connect(url, { topic: TOPIC, onMessage, onError: (e) => console.error(e) }, 30_000)))));
    }
    const delivered = new Promise<void>((resolve) => (allReceived = resolve));
    child.send({ type: 'publish', count: WARM_MESSAGES } satisfies ToServer);
    await delivered;
    const after = await heapAfterGc();
    let cpuUsPerDelivery = Number.NaN;
    if (cpuMessages > 0) {
      const start = process.cpuUsage();
      if (sliding) {
        // WINDOW messages in flight, one more published as each reaches every client (as the fan-out scenario does).
        let sent = Math.min(WINDOW, cpuMessages);
        let completed = 0;
        const done = new Promise<void>((resolve) => {
          onComplete = () => {
            if (++completed === cpuMessages) resolve();
            else if (sent < cpuMessages) {
              sent++;
              child.send({ type: 'publish', count: 1 } satisfies ToServer);
            }
          };
        });
        child.send({ type: 'publish', count: sent } satisfies ToServer);
        await done;
        onComplete = undefined;
      }
      for (let sent = 0; !sliding && sent < cpuMessages; sent += WINDOW) {
        const count = Math.min(WINDOW, cpuMessages - sent);
        const target = received + count * clients;
        const windowDone = new Promise<void>((resolve) => (allReceived = resolve));
        expected = target;
        child.send({ type: 'publish', count } satisfies ToServer);
        await windowDone;
      }
      const used = process.cpuUsage(start);
      cpuUsPerDelivery = (used.user + used.system) / (cpuMessages * clients);
    }
    for (const client of opened) client.close();
    return { perClient: (after - before) / clients, total: after - before, cpuUsPerDelivery };
  } finally {
    child.disconnect();
  }
}

if (process.argv[2] === '--serve') {
  const system = process.argv[3] ?? '';
  if (!isSystemName(system)) throw new Error(`unknown system "${system}"`);
  await serve(system);
} else {
  const args = process.argv.slice(2);
  const valueOf = (flag: string): string | undefined => {
    const index = args.indexOf(flag);
    return index === -1 ? undefined : args[index + 1];
  };
  const clients = Number(valueOf('--clients') ?? 500);
  const cpuMessages = Number(valueOf('--cpu') ?? 0);
  const rounds = Number(valueOf('--rounds') ?? 1);
  const sliding = args.includes('--sliding');
  const systems = (valueOf('--systems') ?? 'herald,ws-superjson-corked').split(',');
  for (let round = 1; round <= rounds; round++) {
    const results: number[] = [];
    const cpu: number[] = [];
    for (const system of systems) {
      if (!isSystemName(system)) throw new Error(`unknown system "${system}"`);
      const { perClient, total, cpuUsPerDelivery } = await measure(system, clients, cpuMessages, sliding);
      results.push(perClient);
      cpu.push(cpuUsPerDelivery);
      const cpuText = cpuMessages > 0 ? `; ${cpuUsPerDelivery.toFixed(2)} µs of CPU per delivery` : '';
      console.log(`${system}: ${(perClient / 1024).toFixed(2)} KiB of heap per client (${clients} clients, ${(total / 1048576).toFixed(1)} MiB)${cpuText}`);
    }
    if (results.length >= 2) {
      const cpuText = cpuMessages > 0 ? `, CPU per delivery ${(cpu[0]! / cpu[1]!).toFixed(2)}×` : '';
      console.log(`round ${round}: ${systems[0]}/${systems[1]} heap per client ${(results[0]! / results[1]!).toFixed(2)}×${cpuText}`);
    }
  }
  process.exit(0);
}
