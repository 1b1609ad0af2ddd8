/**
 * A subscriber child process: `node dist/subscriber-process.js`, configured over IPC. Opens its
 * share of the clients (a bounded number in flight), subscribes them, and reports what every one
 * of its clients has received (flow control for the publisher) and, in latency mode, the one-way
 * latency of each delivery.
 */
import { startChild } from './child-runtime.js';
import type { SubscriberCommand, SubscriberConfig, SubscriberReport } from './ipc.js';
import { wallNow } from './payload.js';
import { readSyscalls, threadSleeps } from './cpu.js';
import { type GcPauses, watchGc } from './gc-watch.js';
import { patternsOf, subscribersOf, topicsOf } from './spread-topics.js';
import { type BenchClient, type BenchPayload, loadSystem } from './systems/system.js';

const channel = startChild<SubscriberReport, SubscriberCommand>(`subscribers[${process.pid}]`);

/** Seqs in flight per process stay below the publisher's window (at most 512). */
const RING = 4096;

let config: SubscriberConfig | undefined;
const clients: BenchClient[] = [];
/** Per seq (mod RING): how many of this process's clients have it. */
const counts = new Int32Array(RING);
let completed = 0;
let completedAt = 0;
let received = 0;
let reconnects = 0;
let lastReconnectAt: number | undefined;
let errors = 0;
let firstError: string | undefined;
let dateType: string | undefined;
/** A growable list of numbers. */
class Samples {
  #values = new Float64Array(1024);
  #length = 0;

  get length(): number {
    return this.#length;
  }

  push(value: number): void {
    if (this.#length === this.#values.length) {
      const grown = new Float64Array(this.#values.length * 2);
      grown.set(this.#values);
      this.#values = grown;
    }
    this.#values[this.#length++] = value;
  }

  take(): Float64Array {
    return this.#values.slice(0, this.#length);
  }
}

/** Latency mode: every delivery's latency; per message, its first delivery's here and its spread here. */
const latencies = new Samples();
const firstLatencies = new Samples();
const spreads = new Samples();
/** Per seq (mod RING): when its first delivery in this process arrived. */
const firstAt = new Float64Array(RING);
let reportScheduled = false;
/** Latency mode: GC pauses from the first measured sample on. */
let stopGc: (() => GcPauses) | undefined;
/** Latency mode: this process's CPU at its first measured sample. */
let measuredFrom: NodeJS.CpuUsage | undefined;
/** Latency mode: this process's read system calls at its first measured sample. */
let readsFrom: number | undefined;
/** Latency mode: this process's main-thread sleeps at its first measured sample. */
let sleepsFrom: number | undefined;
let receivedBeforeMeasure = 0;

function report(): void {
  reportScheduled = false;
  const cpu = process.cpuUsage();
  channel.send({ type: 'progress', completed, received, cpuMs: (cpu.user + cpu.system) / 1000, completedAt });
}

function cpuMsSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

function onError(error: unknown): void {
  errors++;
  firstError ??= error instanceof Error ? error.message : String(error);
}

function makeHandler(count: number, latencyAfterSeq: number | undefined): (data: BenchPayload) => void {
  return (data) => {
    const arrivedAt = wallNow();
    received++;
    const seq = data.seq;
    const slot = seq % RING;
    const measured = latencyAfterSeq !== undefined && seq > latencyAfterSeq;
    if (measured) {
      const latency = arrivedAt - data.sentAt;
      latencies.push(latency);
      if (counts[slot] === 0) {
        firstLatencies.push(latency);
        firstAt[slot] = arrivedAt;
      }
      if (stopGc === undefined) {
        stopGc = watchGc();
        measuredFrom = process.cpuUsage();
        readsFrom = readSyscalls();
        sleepsFrom = threadSleeps();
        receivedBeforeMeasure = received - 1;
      }
    }
    dateType ??= data.at instanceof Date ? 'Date' : typeof data.at;
    // Every client receives in order, so the first seq all of them have is the new low mark.
    if (++counts[slot]! === count) {
      if (measured) spreads.push(arrivedAt - firstAt[slot]!);
      counts[slot] = 0;
      completed = seq;
      completedAt = arrivedAt;
      if (!reportScheduled) {
        reportScheduled = true;
        setImmediate(report);
      }
    }
  };
}

/**
 * Topics scenario: message `seq` reaches only the clients of topic `seq % topics`, so a seq is
 * complete here when that many of this process's clients have it (none: at once), and the low mark
 * moves over every complete seq in order.
 */
function makeTopicsHandler(settings: SubscriberConfig, topics: number): (data: BenchPayload) => void {
  const base = settings.clientBase ?? 0;
  const total = settings.clientTotal ?? settings.count;
  const expected = (seq: number): number => subscribersOf(seq % topics, base, settings.count, total, topics);
  const done = new Uint8Array(RING);
  // Seqs none of this process's clients will get count as complete at once (also before the first
  // message, or the publisher's window would wait on them); a run of them is shorter than `clientTotal`.
  const advance = (): void => {
    let moved = false;
    for (let next = completed + 1; ; next++) {
      const slot = next % RING;
      if (done[slot] === 1) done[slot] = 0;
      else if (expected(next) !== 0) break;
      completed = next;
      moved = true;
    }
    if (moved) {
      completedAt = wallNow();
      if (!reportScheduled) {
        reportScheduled = true;
        setImmediate(report);
      }
    }
  };
  advance();
  return (data) => {
    received++;
    dateType ??= data.at instanceof Date ? 'Date' : typeof data.at;
    const seq = data.seq;
    const slot = seq % RING;
    if (++counts[slot]! < expected(seq)) return;
    counts[slot] = 0;
    done[slot] = 1;
    advance();
  };
}

/** What client number `index` of this process subscribes to. */
function subscriptionsOf(settings: SubscriberConfig, index: number): string | string[] | undefined {
  const { topic } = settings;
  if (topic === undefined) return undefined;
  const client = (settings.clientBase ?? 0) + index;
  const total = settings.clientTotal ?? settings.count;
  if (settings.topics !== undefined) return topicsOf(client, total, settings.topics).map((t) => `${topic}.${t}`);
  if (settings.patterns !== undefined) return [topic, ...patternsOf(client, total, settings.patterns)];
  return topic;
}

function onReconnected(): void {
  reconnects++;
  lastReconnectAt = wallNow();
}

/** Opens `count` clients into `into`, at most `settings.concurrency` in flight. */
async function openClients(settings: SubscriberConfig, count: number, into: BenchClient[]): Promise<{ failed: number; failure: string | undefined }> {
  const adapter = await loadSystem(settings.system);
  const options = {
    onMessage:
      settings.topic === undefined
        ? undefined
        : settings.topics === undefined
          ? makeHandler(settings.count, settings.latencyAfterSeq)
          : makeTopicsHandler(settings, settings.topics),
    onError,
    onReconnected: settings.watchReconnects === true ? onReconnected : undefined,
  };
  let next = 0;
  let failed = 0;
  let failure: string | undefined;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const index = next++;
      try {
        into.push(await adapter.connect(settings.url, { ...options, topic: subscriptionsOf(settings, index) }, settings.connectTimeoutMs));
      } catch (error) {
        failed++;
        failure ??= error instanceof Error ? error.message : String(error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(settings.concurrency, count) }, worker));
  return { failed, failure };
}

async function connectAll(settings: SubscriberConfig): Promise<void> {
  const started = performance.now();
  const cpuFrom = process.cpuUsage();
  const { failed, failure } = await openClients(settings, settings.count, clients);
  channel.send({
    type: 'ready',
    connected: clients.length,
    failed,
    elapsedMs: performance.now() - started,
    cpuMs: cpuMsSince(cpuFrom),
    ...(failure === undefined ? {} : { firstError: failure }),
  });
}

/** Warm-up clients: opened before the measured ones, kept open, never counted. */
const warmClients: BenchClient[] = [];

async function warmUp(settings: SubscriberConfig, count: number): Promise<void> {
  const { failed, failure } = await openClients(settings, count, warmClients);
  channel.send({ type: 'warm', connected: warmClients.length, failed, ...(failure === undefined ? {} : { firstError: failure }) });
}

channel.onMessage(async (command) => {
  switch (command.type) {
    case 'config':
      config = command;
      await loadSystem(command.system); // load the libraries before the clock starts
      channel.send({ type: 'loaded' });
      return;
    case 'warmup':
      if (config === undefined) throw new Error('warmup before config');
      if (config.topic !== undefined) throw new Error('warmup is for idle clients only');
      await warmUp(config, command.count);
      return;
    case 'connect':
      if (config === undefined) throw new Error('connect before config');
      await connectAll(config);
      return;
    case 'collect':
      channel.send({
        type: 'stats',
        received,
        errors,
        ...(firstError === undefined ? {} : { firstError }),
        ...(dateType === undefined ? {} : { dateType }),
        latencies: latencies.take(),
        firstLatencies: firstLatencies.take(),
        spreads: spreads.take(),
        ...(stopGc === undefined ? {} : { gc: stopGc() }),
        ...(measuredFrom === undefined ? {} : { measuredCpuMs: cpuMsSince(measuredFrom), measuredDeliveries: received - receivedBeforeMeasure }),
        ...(readsFrom === undefined ? {} : { measuredReads: (readSyscalls() ?? readsFrom) - readsFrom }),
        ...(sleepsFrom === undefined ? {} : { measuredSleeps: (threadSleeps() ?? sleepsFrom) - sleepsFrom }),
        ...(config?.watchReconnects === true ? { reconnects, ...(lastReconnectAt === undefined ? {} : { lastReconnectAt }) } : {}),
      });
      return;
    case 'stop':
      // Sockets die with the process: the servers see them drop, which is fine after measuring.
      process.exit(0);
  }
});
