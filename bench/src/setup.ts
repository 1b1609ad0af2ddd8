/**
 * One measured setup: a server process for a system and its subscribers spread over child
 * processes, with subscriber progress forwarded to the server (the publisher's flow control).
 */
import { Child } from './child.js';
import type { ServerCommand, ServerReport, SubscriberCommand, SubscriberReport, SubscriberStats } from './ipc.js';
import type { ServerOptions, SystemName } from './systems/system.js';
import { type GcPauses, addPauses, emptyPauses } from './gc-watch.js';

export type ServerChild = Child<ServerCommand, ServerReport>;
type SubscriberChild = Child<SubscriberCommand, SubscriberReport>;

export interface SetupOptions {
  subscribers: number;
  procs: number;
  /** Subscribe every client to it; idle clients without it. */
  topic?: string;
  latencyAfterSeq?: number;
  /** Topics scenario: `topic` names this many topics, spread over the clients (spread-topics.ts). */
  topics?: number;
  /** Patterns scenario: the clients also hold this many patterns that never match. */
  patterns?: number;
  /** Recovery: clients reconnect at once after a cut and report when. */
  watchReconnects?: boolean;
  /** Settings of the system's server, e.g. `{ historyLimit: 10000 }`. */
  serverSettings?: Omit<ServerOptions, 'onError'>;
  /** Connections in flight per subscriber process. */
  concurrency: number;
  /** Run the server under `--cpu-prof` as well. */
  execArgv?: string[];
}

export interface ConnectReport {
  connected: number;
  failed: number;
  /** Wall time from the first connect to the last client ready, in ms (orchestrator clock). */
  elapsedMs: number;
  /** The client processes' CPU (user + system) over their connects, summed, in ms. */
  clientCpuMs: number;
  firstError?: string;
}

export interface MergedStats {
  received: number;
  errors: number;
  firstError?: string;
  dateTypes: string[];
  latencies: Float64Array;
  /** Latency mode, per message and process: its first delivery's latency, and last minus first. */
  firstLatencies: Float64Array;
  spreads: Float64Array;
  /** Latency mode: the subscriber processes' GC pauses, summed. */
  gc: GcPauses;
  /** Latency mode: the subscriber processes' CPU from each one's first latency sample on, summed (ms). */
  measuredCpuMs: number;
  /** The deliveries that CPU was spent on (a few warm-up messages still arriving included). */
  measuredDeliveries: number;
  /** Their read system calls over the same stretch, summed (0 where not counted). */
  measuredReads: number;
  /** Their main threads' sleeps (event-loop waits that blocked) over the same stretch, summed (0 where not counted). */
  measuredSleeps: number;
  /** With `watchReconnects`: reconnects over all clients, and the wall time of the last. */
  reconnects: number;
  lastReconnectAt?: number;
}

function concat(arrays: Float64Array[]): Float64Array {
  const all = new Float64Array(arrays.reduce((sum, a) => sum + a.length, 0));
  let offset = 0;
  for (const array of arrays) {
    all.set(array, offset);
    offset += array.length;
  }
  return all;
}

const SERVER_SCRIPT = new URL('./server-process.js', import.meta.url);
const SUBSCRIBER_SCRIPT = new URL('./subscriber-process.js', import.meta.url);
const CONNECT_TIMEOUT_MS = 20_000;

export class Setup {
  readonly server: ServerChild;
  readonly url: string;
  readonly #subscribers: SubscriberChild[];
  readonly #counts: number[];
  readonly #completed: number[];
  readonly #completedAt: number[];
  #progressWaiter: { seq: number; resolve: () => void } | undefined;

  private constructor(server: ServerChild, url: string, subscribers: SubscriberChild[], counts: number[]) {
    this.server = server;
    this.url = url;
    this.#subscribers = subscribers;
    this.#counts = counts;
    this.#completed = counts.map(() => 0);
    this.#completedAt = counts.map(() => 0);
    subscribers.forEach((child, proc) => {
      child.on('progress', (message) => {
        this.#completed[proc] = message.completed;
        this.#completedAt[proc] = message.completedAt;
        server.send({ type: 'progress', proc, completed: message.completed, received: message.received, cpuMs: message.cpuMs });
        if (this.#progressWaiter !== undefined && this.lowMark() >= this.#progressWaiter.seq) this.#progressWaiter.resolve();
      });
    });
  }

  /** Starts the server process, then the subscriber processes (loaded, not yet connected). */
  static async start(system: SystemName, options: SetupOptions): Promise<Setup> {
    const args = options.serverSettings === undefined ? [system] : [system, JSON.stringify(options.serverSettings)];
    const server: ServerChild = new Child(`server[${system}]`, SERVER_SCRIPT, args, ['--expose-gc', ...(options.execArgv ?? [])]);
    const subscribers: SubscriberChild[] = [];
    try {
      const { url } = await server.next('ready', 30_000);
      const procs = Math.max(1, Math.min(options.procs, options.subscribers));
      const counts = Array.from({ length: options.subscribers > 0 ? procs : 0 }, (_, i) =>
        Math.floor(options.subscribers / procs) + (i < options.subscribers % procs ? 1 : 0),
      );
      let clientBase = 0;
      for (const [i, count] of counts.entries()) {
        const child: SubscriberChild = new Child(`subscribers[${system} #${i}]`, SUBSCRIBER_SCRIPT, []);
        subscribers.push(child);
        child.send({
          type: 'config',
          system,
          url,
          count,
          concurrency: options.concurrency,
          connectTimeoutMs: CONNECT_TIMEOUT_MS,
          ...(options.topic === undefined ? {} : { topic: options.topic }),
          ...(options.latencyAfterSeq === undefined ? {} : { latencyAfterSeq: options.latencyAfterSeq }),
          ...(options.watchReconnects === true ? { watchReconnects: true } : {}),
          ...(options.topics === undefined ? {} : { topics: options.topics }),
          ...(options.patterns === undefined ? {} : { patterns: options.patterns }),
          clientBase,
          clientTotal: options.subscribers,
        });
        clientBase += count;
      }
      await Promise.all(subscribers.map((child) => child.next('loaded', 30_000)));
      return new Setup(server, url, subscribers, counts);
    } catch (error) {
      await Promise.all([...subscribers.map((child) => child.stop(1000)), server.stop(1000)]);
      throw error;
    }
  }

  get subscriberCount(): number {
    return this.#counts.reduce((a, b) => a + b, 0);
  }

  get procs(): number {
    return this.#subscribers.length;
  }

  /**
   * Opens `total` idle clients spread over the processes as the measured ones will be, keeps them
   * open and leaves them out of every count (the idle scenario's warm-up); fails unless every one
   * connected.
   */
  async warmUp(total: number): Promise<void> {
    const procs = this.#subscribers.length;
    if (total <= 0 || procs === 0) return;
    this.#subscribers.forEach((child, i) => child.send({ type: 'warmup', count: Math.floor(total / procs) + (i < total % procs ? 1 : 0) }));
    const reports = await Promise.all(this.#subscribers.map((child) => child.next('warm', CONNECT_TIMEOUT_MS + 60_000)));
    const failed = reports.reduce((sum, r) => sum + r.failed, 0);
    if (failed > 0) throw new Error(`${failed} of ${total} warm-up clients failed to connect: ${reports.find((r) => r.firstError !== undefined)?.firstError}`);
  }

  /** Opens every client (all processes at once); fails unless every one connected. */
  async connect(): Promise<ConnectReport> {
    const started = performance.now();
    for (const child of this.#subscribers) child.send({ type: 'connect' });
    const timeoutMs = CONNECT_TIMEOUT_MS + 60_000;
    const reports = await Promise.all(this.#subscribers.map((child) => child.next('ready', timeoutMs)));
    const report: ConnectReport = {
      connected: reports.reduce((sum, r) => sum + r.connected, 0),
      failed: reports.reduce((sum, r) => sum + r.failed, 0),
      elapsedMs: performance.now() - started,
      clientCpuMs: reports.reduce((sum, r) => sum + r.cpuMs, 0),
    };
    const firstError = reports.find((r) => r.firstError !== undefined)?.firstError;
    if (report.failed > 0) throw new Error(`${report.failed} of ${this.subscriberCount} clients failed to connect: ${firstError}`);
    return report;
  }

  /** The highest seq every subscriber has received. */
  lowMark(): number {
    return this.#completed.length === 0 ? 0 : Math.min(...this.#completed);
  }

  /** Wall time at which the low mark was reached: the last subscriber process to get there. */
  lowMarkAt(): number {
    return Math.max(0, ...this.#completedAt);
  }

  /** Resolves once every subscriber has received every message up to `seq`. */
  waitFor(seq: number, timeoutMs: number): Promise<void> {
    if (this.lowMark() >= seq) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#progressWaiter = undefined;
        reject(new Error(`subscribers did not receive message ${seq} within ${timeoutMs} ms (they have ${this.lowMark()})`));
      }, timeoutMs);
      this.#progressWaiter = {
        seq,
        resolve: () => {
          clearTimeout(timer);
          this.#progressWaiter = undefined;
          resolve();
        },
      };
    });
  }

  /** Counters and latency samples of every subscriber process, merged. */
  async collect(): Promise<MergedStats> {
    for (const child of this.#subscribers) child.send({ type: 'collect' });
    const all: SubscriberStats[] = await Promise.all(this.#subscribers.map((child) => child.next('stats', 30_000)));
    const latencies = concat(all.map((s) => s.latencies));
    const firstError = all.find((s) => s.firstError !== undefined)?.firstError;
    const reconnectTimes = all.flatMap((s) => (s.lastReconnectAt === undefined ? [] : [s.lastReconnectAt]));
    return {
      reconnects: all.reduce((sum, s) => sum + (s.reconnects ?? 0), 0),
      ...(reconnectTimes.length === 0 ? {} : { lastReconnectAt: Math.max(...reconnectTimes) }),
      received: all.reduce((sum, s) => sum + s.received, 0),
      errors: all.reduce((sum, s) => sum + s.errors, 0),
      ...(firstError === undefined ? {} : { firstError }),
      dateTypes: [...new Set(all.flatMap((s) => (s.dateType === undefined ? [] : [s.dateType])))],
      latencies,
      firstLatencies: concat(all.map((s) => s.firstLatencies)),
      spreads: concat(all.map((s) => s.spreads)),
      gc: all.reduce((sum, s) => (s.gc === undefined ? sum : addPauses(sum, s.gc)), emptyPauses()),
      measuredCpuMs: all.reduce((sum, s) => sum + (s.measuredCpuMs ?? 0), 0),
      measuredDeliveries: all.reduce((sum, s) => sum + (s.measuredDeliveries ?? 0), 0),
      measuredReads: all.reduce((sum, s) => sum + (s.measuredReads ?? 0), 0),
      measuredSleeps: all.reduce((sum, s) => sum + (s.measuredSleeps ?? 0), 0),
    };
  }

  /** Stops the subscribers and the server; kills whatever does not exit in time. */
  async close(): Promise<void> {
    await Promise.all([...this.#subscribers.map((child) => child.stop(5000)), this.server.stop(5000)]);
  }
}
