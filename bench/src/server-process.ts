/**
 * The server child process: `node --expose-gc dist/server-process.js <system>`. Starts the system's
 * server, then publishes on command (the server is also the publisher, for every system) and
 * measures itself: CPU with `process.cpuUsage()`, memory with `process.memoryUsage()` after GC. When
 * the system routes in another process (NATS' broker), that process's CPU and RSS are added.
 */
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { startChild } from './child-runtime.js';
import { between, machineBusyMs, sampleAt, threadSchedMs } from './cpu.js';
import { processCpu, processRss } from './external-process.js';
import type { CutCommand, CutResult, FanoutCommand, FanoutResult, LatencyCommand, LatencyResult, MemoryReport, ServerCommand, ServerReport, WindowCommand } from './ipc.js';
import { memoryAfterGc, watchGc } from './gc-watch.js';
import { makePayload, wallNow } from './payload.js';
import { type BenchServer, type ServerOptions, isSystemName, loadSystem } from './systems/system.js';

const systemName = process.argv[2] ?? '';
/** Optional server settings, as JSON: `{"historyLimit": 10000}`. */
const settings = JSON.parse(process.argv[3] ?? '{}') as Omit<ServerOptions, 'onError'>;
const channel = startChild<ServerReport, ServerCommand>(`server[${systemName}]`);
if (!isSystemName(systemName)) throw new Error(`unknown system "${systemName}"`);

let errors = 0;
const onError = (error: unknown): void => {
  if (errors++ === 0) console.error(`server[${systemName}]: ${error instanceof Error ? error.message : String(error)}`);
};

const adapter = await loadSystem(systemName);
const server: BenchServer = await adapter.startServer({ ...settings, onError });

const externalPid = server.externalPid;

/** Router CPU so far (or since `previous`): this process's, plus the external router's if any. */
function routerCpu(previous?: NodeJS.CpuUsage): NodeJS.CpuUsage {
  const own = process.cpuUsage();
  const other = externalPid === undefined ? { user: 0, system: 0 } : processCpu(externalPid);
  const user = own.user + other.user - (previous?.user ?? 0);
  const system = own.system + other.system - (previous?.system ?? 0);
  return { user, system };
}

/** Messages published so far by this process; each payload carries its number. */
let seq = 0;
/** Per subscriber process: the highest seq every one of its clients has received, and its total deliveries. */
const completed: number[] = [];
const received: number[] = [];
const subscriberCpuMs: number[] = [];
let onProgress: (() => void) | undefined;

function minCompleted(procs: number): number {
  let min = Number.POSITIVE_INFINITY;
  for (let i = 0; i < procs; i++) min = Math.min(min, completed[i] ?? 0);
  return min;
}

function totalReceived(procs: number): number {
  let sum = 0;
  for (let i = 0; i < procs; i++) sum += received[i] ?? 0;
  return sum;
}

function totalSubscriberCpuMs(procs: number): number {
  let sum = 0;
  for (let i = 0; i < procs; i++) sum += subscriberCpuMs[i] ?? 0;
  return sum;
}

function cpuMsSince(start: NodeJS.CpuUsage): number {
  const used = routerCpu(start);
  return (used.user + used.system) / 1000;
}

/**
 * Windowed fan-out: publish while fewer than `window` messages are not yet received by every
 * subscriber; each progress report from a subscriber process opens the window again. Warm up,
 * measure for `measureMs` (or `maxMessages`), then stop publishing and wait until everything
 * published has arrived everywhere: the measured phase ends there.
 */
function fanout(command: FanoutCommand): Promise<FanoutResult> {
  const { procs, window, topic, size } = command;
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let phase: 'warmup' | 'measure' | 'drain' | 'done' = 'warmup';
    let mark = { time: 0, cpu: routerCpu(), received: 0, seq: 0, subscriberCpuMs: 0, machineBusyMs: 0 };
    let profiler: Promise<Session> | undefined;
    let lastMin = minCompleted(procs);
    let lastProgressAt = started;

    const end = (error?: Error): void => {
      phase = 'done';
      onProgress = undefined;
      clearInterval(watchdog);
      if (error !== undefined) return reject(error);
      const cpu = routerCpu(mark.cpu);
      const result: FanoutResult = {
        type: 'fanout-result',
        messages: seq - mark.seq,
        deliveries: totalReceived(procs) - mark.received,
        elapsedMs: performance.now() - mark.time,
        cpuMs: (cpu.user + cpu.system) / 1000,
        cpuSystemMs: cpu.system / 1000,
        subscriberCpuMs: totalSubscriberCpuMs(procs) - mark.subscriberCpuMs,
        machineBusyMs: machineBusyMs() - mark.machineBusyMs,
        window,
      };
      if (profiler === undefined) return resolve(result);
      stopProfiler(profiler, command.profilePath!).then(() => resolve(result), reject);
    };

    const pump = (): void => {
      if (phase === 'done') return;
      const now = performance.now();
      // Measure from a steady state: warmed up, and the first window has reached everyone.
      if (phase === 'warmup' && now - started >= command.warmupMs && minCompleted(procs) >= Math.min(window, seq)) {
        phase = 'measure';
        if (command.profilePath !== undefined) profiler = startProfiler();
        mark = {
          time: now,
          cpu: routerCpu(),
          received: totalReceived(procs),
          seq,
          subscriberCpuMs: totalSubscriberCpuMs(procs),
          machineBusyMs: machineBusyMs(),
        };
      }
      if (phase === 'measure' && (now - mark.time >= command.measureMs || seq - mark.seq >= command.maxMessages)) phase = 'drain';
      const low = minCompleted(procs);
      if (phase === 'drain') {
        if (low >= seq) end();
        return;
      }
      while (seq - low < window && (phase !== 'measure' || seq - mark.seq < command.maxMessages)) {
        seq++;
        server.publish(command.topics === undefined ? topic : `${topic}.${seq % command.topics}`, makePayload(seq, size));
      }
    };

    // Phase changes are also checked on a timer, and a run with no progress at all is aborted.
    const watchdog = setInterval(() => {
      const low = minCompleted(procs);
      const now = performance.now();
      if (low !== lastMin) {
        lastMin = low;
        lastProgressAt = now;
      } else if (now - lastProgressAt > command.stallMs) {
        end(new Error(`fan-out stalled: no subscriber progress for ${command.stallMs} ms (published ${seq}, every client has ${low})`));
        return;
      }
      pump();
    }, 100);

    onProgress = pump;
    pump();
  });
}

/**
 * Publishes `count` messages at a fixed rate; each carries its wall-clock send time. With
 * `maxBehindMs`, stops early when the system cannot keep up: when the subscribers' low mark is that
 * far behind what was published (in messages at this rate), or when publishing itself runs that
 * late (a server whose publish loop alone takes longer than the interval).
 */
function latency(command: LatencyCommand): Promise<LatencyResult> {
  const intervalMs = 1000 / command.rate;
  const maxBehind = command.maxBehindMs === undefined ? Number.POSITIVE_INFINITY : command.maxBehindMs;
  const behindMessages = (maxBehind / 1000) * command.rate;
  const procs = command.procs ?? 0;
  return new Promise((resolve, reject) => {
    const stopGc = watchGc();
    const startedAt = wallNow();
    const started = performance.now();
    const cpu = routerCpu();
    const firstSeq = seq + 1;
    let sent = 0;
    let saturated = false;
    let mark: { time: number; routerMs: number; subscriberMs: number; machineBusyMs: number; behind: number; late: number } | undefined;
    const publishTimes: number[] = [];
    const publishCpu: number[] = [];
    const publishWait: number[] = [];
    let profiler: Promise<Session> | undefined;
    const tick = (): void => {
      const now = performance.now();
      const sched = threadSchedMs();
      if (mark === undefined && command.measureAfter !== undefined && sent >= command.measureAfter) {
        mark = {
          time: now,
          routerMs: cpuMsSince({ user: 0, system: 0 }),
          subscriberMs: totalSubscriberCpuMs(procs),
          machineBusyMs: machineBusyMs(),
          behind: procs > 0 ? seq - Math.max(firstSeq - 1, minCompleted(procs)) : 0,
          late: Math.max(0, now - (started + sent * intervalMs)),
        };
        if (command.profilePath !== undefined) profiler = startProfiler();
      }
      // Saturated: the backlog grew by `maxBehindMs` of messages since the measured phase began
      // (what the warm-up left, cold code, may still drain), or is three times that at any time.
      const behind = seq - Math.max(firstSeq - 1, minCompleted(procs));
      const late = now - (started + sent * intervalMs);
      if (mark !== undefined) {
        if (behind > mark.behind + behindMessages || late > mark.late + maxBehind) saturated = true;
      }
      if (procs > 0 && sent > 0 && (behind > 3 * behindMessages || late > 3 * maxBehind)) saturated = true;
      const publishedBefore = sent;
      while (!saturated && sent < command.count && started + sent * intervalMs <= now) {
        // A publish loop slower than the schedule would otherwise catch up with a whole backlog in
        // one tick (seconds of synchronous sends for a naive loop at N = 1,000).
        if (performance.now() - (started + sent * intervalMs) > (mark === undefined ? 3 * maxBehind : mark.late + maxBehind)) {
          saturated = true;
          break;
        }
        sent++;
        seq++;
        server.publish(command.topic, makePayload(seq, command.size));
      }
      // The router's own time: from the publish call to its last socket written (the cork's flush
      // runs on process.nextTick, before any setImmediate). A router in another process (NATS) has
      // none to measure here.
      if (externalPid === undefined && sent > publishedBefore && sent > (command.measureAfter ?? 0)) {
        setImmediate(() => {
          publishTimes.push(performance.now() - now);
          const after = sched === undefined ? undefined : threadSchedMs();
          if (sched === undefined || after === undefined) return;
          publishCpu.push(after.cpuMs - sched.cpuMs);
          publishWait.push(after.waitMs - sched.waitMs);
        });
      }
      if (!saturated && sent < command.count) {
        setTimeout(tick, Math.max(0, started + sent * intervalMs - performance.now()));
      } else {
        const end = performance.now();
        const elapsedMs = end - started;
        const cpuMs = cpuMsSince(cpu);
        const cores =
          mark === undefined
            ? undefined
            : {
                elapsedMs: end - mark.time,
                routerMs: cpuMsSince({ user: 0, system: 0 }) - mark.routerMs,
                subscriberMs: totalSubscriberCpuMs(procs) - mark.subscriberMs,
                machineBusyMs: machineBusyMs() - mark.machineBusyMs,
              };
        // Let the last GC entries and publish times arrive (both come asynchronously).
        setImmediate(() => {
          const result: LatencyResult = {
            type: 'latency-result',
            published: sent,
            startedAt,
            elapsedMs,
            cpuMs,
            gc: stopGc(),
            saturated,
            ...(cores === undefined ? {} : { cores }),
            ...(publishTimes.length === 0 ? {} : { publishMs: Float64Array.from(publishTimes) }),
            ...(publishCpu.length === 0 ? {} : { publishCpuMs: Float64Array.from(publishCpu), publishWaitMs: Float64Array.from(publishWait) }),
          };
          if (profiler === undefined) resolve(result);
          else stopProfiler(profiler, command.profilePath!).then(() => resolve(result), reject);
        });
      }
    };
    tick();
  });
}

/** The server's CPU over a window of wall time, while the clients drive the load (requests). */
async function cpuWindow(command: WindowCommand): Promise<ServerReport> {
  const start = await sampleAt(command.startAt, routerCpu);
  const profiler = command.profilePath === undefined ? undefined : startProfiler();
  const end = await sampleAt(command.endAt, routerCpu);
  if (profiler !== undefined) await stopProfiler(profiler, command.profilePath!);
  return { type: 'window-result', ...between(start, end) };
}

/** Recovery: cut every client, then publish while they are away (they find it all in history). */
function cut(command: CutCommand): CutResult {
  if (server.cutAll === undefined) throw new Error(`${systemName} cannot cut its clients`);
  const cutAt = wallNow();
  const count = server.cutAll();
  const firstSeq = seq + 1;
  for (let i = 0; i < command.count; i++) {
    seq++;
    server.publish(command.topic, makePayload(seq, command.size));
  }
  return { type: 'cut-result', cut: count, cutAt, firstSeq, lastSeq: seq, publishedAt: wallNow() };
}

async function memory(): Promise<MemoryReport> {
  const beforeGc = routerCpu();
  const usage = await memoryAfterGc(3);
  const cpu = routerCpu();
  const resources = process.resourceUsage();
  return {
    type: 'memory',
    rss: usage.rss + (externalPid === undefined ? 0 : processRss(externalPid)),
    heapUsed: usage.heapUsed,
    heapTotal: usage.heapTotal,
    external: usage.external,
    arrayBuffers: usage.arrayBuffers,
    cpuMs: (cpu.user + cpu.system) / 1000,
    cpuSystemMs: cpu.system / 1000,
    cpuBeforeGcMs: (beforeGc.user + beforeGc.system) / 1000,
    cpuSystemBeforeGcMs: beforeGc.system / 1000,
    wakeups: resources.voluntaryContextSwitches,
    preemptions: resources.involuntaryContextSwitches,
  };
}

async function startProfiler(): Promise<Session> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 250 });
  await session.post('Profiler.start');
  return session;
}

async function stopProfiler(started: Promise<Session>, path: string): Promise<void> {
  const session = await started;
  const { profile } = await session.post('Profiler.stop');
  session.disconnect();
  await writeFile(path, JSON.stringify(profile));
}

/** The profiler of the idle scenario's connection burst, between two memory reports. */
let idleProfiler: Promise<Session> | undefined;

channel.onMessage(async (command) => {
  switch (command.type) {
    case 'progress':
      completed[command.proc] = command.completed;
      received[command.proc] = command.received;
      subscriberCpuMs[command.proc] = command.cpuMs;
      onProgress?.();
      return;
    case 'fanout':
      channel.send(await fanout(command));
      return;
    case 'latency':
      channel.send(await latency(command));
      return;
    case 'memory': {
      if (command.profilePath !== undefined && idleProfiler !== undefined) await stopProfiler(idleProfiler, command.profilePath);
      idleProfiler = undefined;
      const report = await memory();
      if (command.profile === true) idleProfiler = startProfiler();
      channel.send(report);
      return;
    }
    case 'window':
      channel.send(await cpuWindow(command));
      return;
    case 'cut':
      channel.send(cut(command));
      return;
    case 'cpu': {
      const cpu = routerCpu();
      channel.send({ type: 'cpu', cpuMs: (cpu.user + cpu.system) / 1000, cpuSystemMs: cpu.system / 1000, at: wallNow() });
      return;
    }
    case 'stop':
      // Nothing is measured any more: exit without the graceful close (which waits on clients).
      if (errors > 0) console.error(`server[${systemName}]: ${errors} errors in total`);
      process.exit(0);
  }
});

channel.send({ type: 'ready', url: server.url });
