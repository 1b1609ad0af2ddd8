/**
 * Fan-out: the server publishes to N subscribers as fast as flow control allows, and the payload
 * scenario: the same at several payload sizes. Flow control is a window of messages: the server
 * publishes while fewer than `window` messages have not reached every subscriber yet (subscriber
 * processes report, out of band over IPC, the highest seq all of their clients have).
 */
import { join } from 'node:path';
import { CONNECT_CONCURRENCY, type Measurement, type RunContext, TOPIC } from '../context.js';
import { Setup } from '../setup.js';
import type { SystemName } from '../systems/system.js';

/**
 * Messages in flight (published, not yet received by every subscriber): 32, so no socket ever
 * queues more than 32 messages, and fewer for large payloads (at most about 32 MB in flight in
 * all), but at least 2. Larger windows let Node and the kernel batch more writes and raise every
 * system's figures: that is buffering, not sustained throughput.
 */
export const WINDOW_MESSAGES = 32;
export const WINDOW_BYTES = 32_000_000;

export function defaultWindow(subscribers: number, size: number): number {
  const byBytes = Math.floor(WINDOW_BYTES / (subscribers * Math.max(size, 100)));
  return Math.max(2, Math.min(WINDOW_MESSAGES, byBytes));
}

export interface FanoutRun {
  /** Topics scenario: messages go round robin to this many topics. */
  topics?: number;
  size: number;
  measureSeconds: number;
  maxMessages: number;
  profileName: string;
}

export async function measure(ctx: RunContext, setup: Setup, run: FanoutRun): Promise<{ figures: Record<string, number>; details: Record<string, unknown> }> {
  const { options } = ctx;
  const window = options.window ?? defaultWindow(setup.subscriberCount, run.size);
  const warmupMs = options.warmupSeconds * 1000;
  const measureMs = run.measureSeconds * 1000;
  const profilePath = options.profile ? join(ctx.profileDir, `${run.profileName}.cpuprofile`) : undefined;
  setup.server.send({
    type: 'fanout',
    topic: TOPIC,
    size: run.size,
    warmupMs,
    measureMs,
    maxMessages: run.maxMessages,
    window,
    procs: setup.procs,
    stallMs: 15_000,
    ...(profilePath === undefined ? {} : { profilePath }),
    ...(run.topics === undefined ? {} : { topics: run.topics }),
  });
  const result = await setup.server.next('fanout-result', warmupMs + measureMs + 90_000);
  if (profilePath !== undefined) ctx.profiles.push(profilePath);
  if (result.deliveries <= 0) throw new Error('no deliveries measured');
  const seconds = result.elapsedMs / 1000;
  return {
    figures: {
      deliveriesPerSec: result.deliveries / seconds,
      bytesPerSec: (result.deliveries * run.size) / seconds,
      cpuSecPerMillion: result.cpuMs / 1000 / (result.deliveries / 1e6),
      cpuUsPerDelivery: (result.cpuMs * 1000) / result.deliveries,
      userUsPerDelivery: ((result.cpuMs - result.cpuSystemMs) * 1000) / result.deliveries,
      kernelUsPerDelivery: (result.cpuSystemMs * 1000) / result.deliveries,
      subscriberUsPerDelivery: (result.subscriberCpuMs * 1000) / result.deliveries,
      cpuUsPerPublish: (result.cpuMs * 1000) / result.messages,
      routerCores: result.cpuMs / result.elapsedMs,
      subscriberCores: result.subscriberCpuMs / result.elapsedMs,
      // Busy cores not accounted for by the router or the subscribers: the orchestrator and anything else on the machine.
      otherCores: Math.max(0, (result.machineBusyMs - result.cpuMs - result.subscriberCpuMs) / result.elapsedMs),
    },
    details: {
      messages: result.messages,
      deliveries: result.deliveries,
      elapsedMs: result.elapsedMs,
      cpuMs: result.cpuMs,
      cpuSystemMs: result.cpuSystemMs,
      subscriberCpuMs: result.subscriberCpuMs,
      machineBusyMs: result.machineBusyMs,
      window,
    },
  };
}

async function connectedSetup(ctx: RunContext, system: SystemName, subscribers: number, label: string): Promise<{ setup: Setup; connectMs: number }> {
  ctx.log(`${label}: starting the server and ${subscribers} subscribers in ${Math.min(ctx.options.procs, subscribers)} processes`);
  const setup = await Setup.start(system, { subscribers, procs: ctx.options.procs, topic: TOPIC, concurrency: CONNECT_CONCURRENCY });
  try {
    const connected = await setup.connect();
    return { setup, connectMs: connected.elapsedMs };
  } catch (error) {
    await setup.close();
    throw error;
  }
}

export async function checkSubscribers(setup: Setup): Promise<Record<string, unknown>> {
  const stats = await setup.collect();
  if (stats.errors > 0) throw new Error(`${stats.errors} client errors, first: ${stats.firstError}`);
  return { received: stats.received, dateArrivesAs: stats.dateTypes.join('/') };
}

export async function runFanout(ctx: RunContext, system: SystemName, subscribers: number, label: string): Promise<Measurement> {
  const { options } = ctx;
  const { setup, connectMs } = await connectedSetup(ctx, system, subscribers, label);
  try {
    ctx.log(`${label}: ${subscribers} subscribed in ${(connectMs / 1000).toFixed(1)} s; measuring ${options.warmupSeconds}+${options.fanoutSeconds} s`);
    const { figures, details } = await measure(ctx, setup, {
      size: options.size,
      measureSeconds: options.fanoutSeconds,
      maxMessages: 10_000_000,
      profileName: `fanout-${system}-n${subscribers}`,
    });
    const checked = await checkSubscribers(setup);
    return { scenario: 'fanout', case: `N=${subscribers}, ${options.size} B`, system, figures, details: { ...details, ...checked, connectMs, subscribers } };
  } finally {
    await setup.close();
  }
}

/** One setup per system, then one measured run per payload size. */
export async function runPayloadSizes(ctx: RunContext, system: SystemName, subscribers: number, label: string): Promise<Measurement[]> {
  const { options } = ctx;
  const { setup, connectMs } = await connectedSetup(ctx, system, subscribers, label);
  const measurements: Measurement[] = [];
  try {
    for (const size of options.payloadSizes) {
      const caseName = `N=${subscribers}, ${formatSize(size)}`;
      const maxMessages = size >= 1_000_000 ? options.largeMessages : 10_000_000;
      ctx.log(`${label}: ${formatSize(size)} payloads for ${options.warmupSeconds}+${options.payloadSeconds} s${size >= 1_000_000 ? ` (at most ${maxMessages} messages)` : ''}`);
      try {
        const { figures, details } = await measure(ctx, setup, {
          size,
          measureSeconds: options.payloadSeconds,
          maxMessages,
          profileName: `payload-${system}-${size}B`,
        });
        measurements.push({ scenario: 'payload', case: caseName, system, figures, details: { ...details, connectMs, subscribers, size } });
      } catch (error) {
        measurements.push({ scenario: 'payload', case: caseName, system, figures: {}, details: {}, error: error instanceof Error ? error.message : String(error) });
        break; // the setup is in an unknown state
      }
    }
    const checked = await checkSubscribers(setup);
    for (const measurement of measurements) Object.assign(measurement.details, checked);
    return measurements;
  } finally {
    await setup.close();
  }
}

export function formatSize(bytes: number): string {
  if (bytes >= 1_000_000 && bytes % 1_000_000 === 0) return `${bytes / 1_000_000} MB`;
  if (bytes >= 1000 && bytes % 1000 === 0) return `${bytes / 1000} KB`;
  return `${bytes} B`;
}
