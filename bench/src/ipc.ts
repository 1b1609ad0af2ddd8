/**
 * Messages between the orchestrator (main.ts) and its child processes, over Node's IPC channel
 * (advanced serialization, so typed arrays travel as such). Flow control rides on this channel
 * too, out of band, so it costs every system the same.
 */
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
}

export interface LatencyCommand {
  type: 'latency';
  topic: string;
  size: number;
  /** Messages per second. */
  rate: number;
  count: number;
}

export type ServerCommand =
  | FanoutCommand
  | LatencyCommand
  | { type: 'progress'; proc: number; completed: number; received: number; cpuMs: number }
  | { type: 'memory' }
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
  external: number;
  arrayBuffers: number;
  /** The process's CPU (user + system) since it started, in milliseconds. */
  cpuMs: number;
}

export type ServerReport =
  | { type: 'ready'; url: string }
  | FanoutResult
  | { type: 'latency-result'; published: number; elapsedMs: number; cpuMs: number }
  | MemoryReport
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
  /** Record one-way latency of messages with a seq above this. */
  latencyAfterSeq?: number;
  /** Connections in flight at once. */
  concurrency: number;
  connectTimeoutMs: number;
}

export type SubscriberCommand = SubscriberConfig | { type: 'connect' } | { type: 'collect' } | { type: 'stop' };

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
}

export type SubscriberReport =
  | { type: 'loaded' }
  | { type: 'ready'; connected: number; failed: number; elapsedMs: number; firstError?: string }
  | { type: 'progress'; completed: number; received: number; /** process CPU so far */ cpuMs: number }
  | SubscriberStats
  | { type: 'error'; message: string };
