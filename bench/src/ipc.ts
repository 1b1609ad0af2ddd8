/**
 * Messages between the orchestrator (main.ts) and its child processes, over Node's IPC channel
 * (advanced serialization, so typed arrays travel as such). Flow control rides on this channel
 * too, out of band, so it costs every system the same.
 */
import type { CpuWindow } from './cpu.js';
import type { GcPauses } from './gc-watch.js';
import type { SystemName } from './systems/system.js';

// ---- orchestrator → server process ----

export interface FanoutCommand {
  type: 'fanout';
  topic: string;
  /** Payload size in bytes (plain JSON). */
  size: number;
  warmupMs: number;
  measureMs: number;
  /** Most messages published in the measured phase. */
  maxMessages: number;
  /** Most messages not yet received by every subscriber. */
  window: number;
  /** How many subscriber processes report progress. */
  procs: number;
  /** Abort when no subscriber progress arrives for this long. */
  stallMs: number;
  /** Profile the measured phase with the V8 CPU profiler and write it here. */
  profilePath?: string;
  /** Topics scenario: publish message `seq` to `<topic>.<seq % topics>` instead of `topic`. */
  topics?: number;
}

export interface LatencyCommand {
  type: 'latency';
  topic: string;
  size: number;
  /** Messages per second. */
  rate: number;
  count: number;
  /**
   * Saturation (latency scenario): stop publishing once the subscribers' backlog, or the
   * publisher's lateness on its own schedule, has grown by this many ms since the measured phase
   * began (after `measureAfter` messages), or is three times that at any time: the system cannot
   * carry the offered load, and what it would report is a queue that grows with the run's length,
   * not a latency. Needs `procs`.
   */
  maxBehindMs?: number;
  /** Subscriber processes reporting progress (for `maxBehindMs` and `cores`). */
  procs?: number;
  /** Count CPU (`LatencyResult.cores`) from this many messages published on (after the warm-up). */
  measureAfter?: number;
  /** Profile the measured phase (from `measureAfter` on) with the V8 CPU profiler and write it here. */
  profilePath?: string;
}

export interface LatencyResult {
  type: 'latency-result';
  published: number;
  /** Wall time of the first publish, in ms. */
  startedAt: number;
  elapsedMs: number;
  cpuMs: number;
  gc: GcPauses;
  /** Stopped early: the subscribers (or the publisher) fell `maxBehindMs` behind. */
  saturated: boolean;
  /**
   * From `measureAfter` to the last publish: the router's CPU, the subscriber processes' (from
   * their progress reports) and the whole machine's, in ms over `elapsedMs` of wall time.
   */
  cores?: { elapsedMs: number; routerMs: number; subscriberMs: number; machineBusyMs: number };
  /**
   * Per timer tick of the measured phase (one publish, more when catching up): from the publish
   * call to the end of the tick's work, its last socket written. Absent when another process routes.
   */
  publishMs?: Float64Array;
  /**
   * The same ticks split by the scheduler (`threadSchedMs`): the main thread's time on a CPU, and
   * its time runnable but waiting for a core. Their sum is `publishMs` (Linux only).
   */
  publishCpuMs?: Float64Array;
  publishWaitMs?: Float64Array;
}

/** Measure the server's CPU from wall time `startAt` to `endAt` (requests: the clients drive the load). */
export interface WindowCommand {
  type: 'window';
  startAt: number;
  endAt: number;
  /** Profile that window with the V8 CPU profiler and write it here. */
  profilePath?: string;
}

/** Recovery: cut every client, then publish `count` messages while they are away. */
export interface CutCommand {
  type: 'cut';
  topic: string;
  size: number;
  count: number;
}

export type ServerCommand =
  | FanoutCommand
  | LatencyCommand
  | WindowCommand
  | CutCommand
  | { type: 'progress'; proc: number; completed: number; received: number; cpuMs: number }
  /**
   * Memory after GC. `profilePath`: stop the CPU profiler started by the previous memory report and
   * write its profile there (before the GCs); `profile`: start it after this report (idle scenario).
   */
  | { type: 'memory'; profile?: boolean; profilePath?: string }
  | { type: 'cpu' }
  | { type: 'stop' };

// ---- server process → orchestrator ----

export interface FanoutResult {
  type: 'fanout-result';
  /** Messages published in the measured phase. */
  messages: number;
  /** Deliveries counted by the subscribers during the measured phase (until drained). */
  deliveries: number;
  elapsedMs: number;
  /** Server process CPU (user + system) during the measured phase, in milliseconds. */
  cpuMs: number;
  /** The kernel's share of `cpuMs` (socket writes, mostly). */
  cpuSystemMs: number;
  /** CPU of all subscriber processes during the measured phase, in milliseconds. */
  subscriberCpuMs: number;
  /** CPU time of the whole machine (every process, ours or not) during the measured phase, in milliseconds. */
  machineBusyMs: number;
  window: number;
}

export interface MemoryReport {
  type: 'memory';
  rss: number;
  heapUsed: number;
  /** V8's heap as committed: what heapUsed occupies, with the free space inside its pages. */
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  /** The process's CPU (user + system) since it started, in milliseconds. */
  cpuMs: number;
  /** The kernel's share of `cpuMs`. */
  cpuSystemMs: number;
  /**
   * `cpuMs` and `cpuSystemMs` as read when the report began, before its forced full GCs: the idle
   * scenario's CPU per connect runs from the end of one report to the start of the next, so that the
   * reports' own GCs (their cost grows with the connections held, on every side alike) stay out.
   */
  cpuBeforeGcMs: number;
  cpuSystemBeforeGcMs: number;
  /**
   * The server process's voluntary context switches since it started (`process.resourceUsage()`):
   * about once each time its event loop sleeps and wakes. Fewer events per wake-up (slower clients)
   * means more wake-ups, and more CPU, per connect. Its own process only (not NATS's broker).
   */
  wakeups?: number;
  /** Its involuntary context switches (preempted by another process on the same cores). */
  preemptions?: number;
}

export interface CutResult {
  type: 'cut-result';
  /** Clients cut. */
  cut: number;
  /** Wall time of the cut, in ms. */
  cutAt: number;
  /** The seq of the first and the last message published after the cut. */
  firstSeq: number;
  lastSeq: number;
  /** Wall time when the last of them was published, in ms. */
  publishedAt: number;
}

export type ServerReport =
  | { type: 'ready'; url: string }
  | FanoutResult
  | LatencyResult
  | ({ type: 'window-result' } & CpuWindow)
  | CutResult
  | MemoryReport
  | { type: 'cpu'; cpuMs: number; cpuSystemMs: number; at: number }
  | { type: 'error'; message: string };

// ---- orchestrator → subscriber process ----

export interface SubscriberConfig {
  type: 'config';
  system: SystemName;
  url: string;
  /** Clients in this process. */
  count: number;
  /** Subscribe every client to it; idle clients when absent. */
  topic?: string;
  /**
   * Topics scenario: `topic` names `topics` topics (`<topic>.0` …), spread over every process's
   * clients (see spread-topics.ts); this process's clients are numbers `clientBase` on of `clientTotal`.
   */
  topics?: number;
  /** Patterns scenario: `patterns` patterns that never match, spread over every process's clients. */
  patterns?: number;
  clientBase?: number;
  clientTotal?: number;
  /** Record one-way latency of messages with a seq above this. */
  latencyAfterSeq?: number;
  /** Recovery: reconnect at once after a cut, and note when. */
  watchReconnects?: boolean;
  /** Connections in flight at once. */
  concurrency: number;
  connectTimeoutMs: number;
}

/**
 * `warmup`: opens `count` more clients first and keeps them open, uncounted (the idle scenario's
 * warm-up: the server and these processes run the connect path before the measured burst).
 */
export type SubscriberCommand = SubscriberConfig | { type: 'warmup'; count: number } | { type: 'connect' } | { type: 'collect' } | { type: 'stop' };

// ---- subscriber process → orchestrator ----

export interface SubscriberStats {
  type: 'stats';
  received: number;
  errors: number;
  firstError?: string;
  /** What `at` arrived as: `Date` when rich types survived, `string` otherwise. */
  dateType?: string;
  /** One-way latencies in milliseconds (latency mode). */
  latencies: Float64Array;
  /** Latency mode, per message: the latency of its first delivery in this process (router, kernel, wake-up). */
  firstLatencies: Float64Array;
  /** Latency mode, per message: its last delivery in this process minus its first (the clients' serial work). */
  spreads: Float64Array;
  /** Latency mode: this process's GC pauses from its first latency sample on. */
  gc?: GcPauses;
  /** Latency mode: this process's CPU (user + system) from its first latency sample on, in ms. */
  measuredCpuMs?: number;
  /** Latency mode: messages this process's clients received from its first latency sample on (warm-up ones included). */
  measuredDeliveries?: number;
  /** Latency mode: this process's read system calls over the same stretch (Linux only). */
  measuredReads?: number;
  /** Latency mode: the times this process's main thread slept (woke) over the same stretch (Linux only). */
  measuredSleeps?: number;
  /** With `watchReconnects`: how many times a client was connected again, and the wall time of the last. */
  reconnects?: number;
  lastReconnectAt?: number;
}

export type SubscriberReport =
  | { type: 'loaded' }
  | {
      type: 'ready';
      connected: number;
      failed: number;
      elapsedMs: number;
      /** This process's CPU (user + system) over its connects, in ms. */
      cpuMs: number;
      firstError?: string;
    }
  | { type: 'warm'; connected: number; failed: number; firstError?: string }
  | {
      type: 'progress';
      completed: number;
      received: number;
      /** process CPU so far */
      cpuMs: number;
      /** Wall time at which the message `completed` reached the last of this process's clients. */
      completedAt: number;
    }
  | SubscriberStats
  | { type: 'error'; message: string };

// ---- orchestrator ↔ requests process (a provider, or callers) ----

export interface RequestsConfig {
  type: 'config';
  system: SystemName;
  url: string;
  role: 'provider' | 'caller';
  /** Clients in this process. */
  clients: number;
  connectTimeoutMs: number;
}

export interface RequestsRun {
  type: 'run';
  /** Callers: requests in flight at once in this process, spread over its clients. */
  inFlight: number;
  /** Size of the params (plain JSON, bytes). */
  size: number;
  /** The measured window, in wall time (ms): round trips completed in it count. */
  startAt: number;
  endAt: number;
  /** Each request's time-out, in ms. */
  timeoutMs: number;
  /** Most requests this process sends in the run. */
  maxRequests: number;
}

export type RequestsCommand = RequestsConfig | { type: 'connect' } | RequestsRun | { type: 'stop' };

export interface RequestsResult extends CpuWindow {
  type: 'run-result';
  /** Requests sent in the whole run (warm-up included). */
  issued: number;
  /** Round trips completed in the measured window. */
  completed: number;
  errors: number;
  firstError?: string;
  /** Round-trip times of the requests completed in the window, in ms. */
  latencies: Float64Array;
  /** What `at` came back as. */
  dateType?: string;
}

export type RequestsReport =
  | { type: 'loaded' }
  | { type: 'ready'; connected: number; failed: number; firstError?: string }
  | RequestsResult
  | { type: 'error'; message: string };
