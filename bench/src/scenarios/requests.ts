/**
 * Requests: request/reply through the server, client to client (issue 6). One provider client in
 * its own process answers `bench.echo` with its params; callers in `procs` processes (`callers`
 * clients each) keep a fixed number of requests in flight per process, the same windowed flow
 * control as fan-out: each answer sends the next request. Measured over a window of wall time that
 * every process shares: round trips per second, round-trip time p50/p99 (in the caller's process),
 * the server's CPU per round trip, and the clients' (callers and provider).
 *
 * Herald routes requests itself (`client.request` → router → provider's `client.handle` → router →
 * caller). Socket.IO and raw ws have no routing between clients, so their servers relay (see
 * systems/socketio.ts and systems/ws-raw.ts).
 */
import { join } from 'node:path';
import { Child } from '../child.js';
import { type Measurement, type RunContext, describeError } from '../context.js';
import type { RequestsCommand, RequestsReport, RequestsResult, ServerCommand, ServerReport } from '../ipc.js';
import { wallNow } from '../payload.js';
import type { SystemName } from '../systems/system.js';
import { percentile } from './latency.js';

type PeerChild = Child<RequestsCommand, RequestsReport>;

const SERVER_SCRIPT = new URL('../server-process.js', import.meta.url);
const REQUESTS_SCRIPT = new URL('../requests-process.js', import.meta.url);
const CONNECT_TIMEOUT_MS = 20_000;
/** Each request's time-out: far above any round trip here, so a time-out is a failure. */
const REQUEST_TIMEOUT_MS = 10_000;
/** Time for the run commands to reach every process before the warm-up starts counting. */
const START_SLACK_MS = 100;
/** Most requests per caller process and run, whatever the duration. */
const MAX_REQUESTS = 2_000_000;

export function requestsCase(inFlight: number, procs: number, size: number): string {
  return `${procs}×${inFlight} in flight, ${size} B`;
}

interface Processes {
  server: Child<ServerCommand, ServerReport>;
  provider: PeerChild;
  callers: PeerChild[];
}

async function start(ctx: RunContext, system: SystemName, label: string): Promise<Processes> {
  const { options } = ctx;
  ctx.log(`${label}: starting the server, the provider and ${options.procs} caller processes (${options.callers} callers each)`);
  const server = new Child<ServerCommand, ServerReport>(`server[${system}]`, SERVER_SCRIPT, [system], ['--expose-gc']);
  const peers: PeerChild[] = [];
  try {
    const { url } = await server.next('ready', 30_000);
    const configure = (role: 'provider' | 'caller', index: number, clients: number): PeerChild => {
      const child: PeerChild = new Child(`${role}[${system} #${index}]`, REQUESTS_SCRIPT, []);
      peers.push(child);
      child.send({ type: 'config', system, url, role, clients, connectTimeoutMs: CONNECT_TIMEOUT_MS });
      return child;
    };
    const provider = configure('provider', 0, 1);
    const callers = Array.from({ length: options.procs }, (_, i) => configure('caller', i, options.callers));
    await Promise.all(peers.map((child) => child.next('loaded', 30_000)));
    // The provider first: callers' requests need someone to answer them.
    for (const group of [[provider], callers]) {
      for (const child of group) child.send({ type: 'connect' });
      const reports = await Promise.all(group.map((child) => child.next('ready', CONNECT_TIMEOUT_MS + 30_000)));
      const failed = reports.find((report) => report.failed > 0);
      if (failed !== undefined) throw new Error(`${failed.failed} clients failed to connect: ${failed.firstError}`);
    }
    return { server, provider, callers };
  } catch (error) {
    await Promise.all([...peers.map((child) => child.stop(1000)), server.stop(1000)]);
    throw error;
  }
}

async function measure(ctx: RunContext, processes: Processes, system: SystemName, inFlight: number): Promise<Measurement> {
  const { options } = ctx;
  const { server, provider, callers } = processes;
  const startAt = wallNow() + START_SLACK_MS + options.requestsWarmupSeconds * 1000;
  const endAt = startAt + options.requestsSeconds * 1000;
  const profilePath = options.profile ? join(ctx.profileDir, `requests-${system}-${inFlight}.cpuprofile`) : undefined;
  server.send({ type: 'window', startAt, endAt, ...(profilePath === undefined ? {} : { profilePath }) });
  const run = { type: 'run', inFlight, size: options.size, startAt, endAt, timeoutMs: REQUEST_TIMEOUT_MS, maxRequests: MAX_REQUESTS } as const;
  for (const child of [provider, ...callers]) child.send(run);
  const deadline = endAt - wallNow() + REQUEST_TIMEOUT_MS + 30_000;
  const [router, served, ...called] = await Promise.all([
    server.next('window-result', deadline),
    provider.next('run-result', deadline),
    ...callers.map((child) => child.next('run-result', deadline)),
  ]);
  if (profilePath !== undefined) ctx.profiles.push(profilePath);
  const all: RequestsResult[] = [served, ...called];
  const errors = all.reduce((sum, r) => sum + r.errors, 0);
  if (errors > 0) throw new Error(`${errors} request errors, first: ${all.find((r) => r.firstError !== undefined)?.firstError}`);
  const completed = called.reduce((sum, r) => sum + r.completed, 0);
  if (completed === 0) throw new Error('no round trips completed in the measured window');

  const windowMs = endAt - startAt;
  const latencies = new Float64Array(called.reduce((sum, r) => sum + r.latencies.length, 0));
  let offset = 0;
  for (const r of called) {
    latencies.set(r.latencies, offset);
    offset += r.latencies.length;
  }
  latencies.sort();
  // Each process measured the window with its own timers, a little late when busy: CPU is taken as
  // a rate over what that process measured, applied to the nominal window.
  const rate = (r: { cpuMs: number; elapsedMs: number }): number => r.cpuMs / r.elapsedMs;
  const callerCores = called.reduce((sum, r) => sum + rate(r), 0);
  const providerCores = rate(served);
  const routerCores = rate(router);
  const perRoundTripUs = (cores: number): number => (cores * windowMs * 1000) / completed;
  const machineCores = router.machineBusyMs / router.elapsedMs;
  return {
    scenario: 'requests',
    case: requestsCase(inFlight, callers.length, options.size),
    system,
    figures: {
      roundTripsPerSec: completed / (windowMs / 1000),
      p50Ms: percentile(latencies, 0.5),
      p99Ms: percentile(latencies, 0.99),
      maxMs: latencies[latencies.length - 1] ?? Number.NaN,
      cpuSecPerMillion: perRoundTripUs(routerCores),
      cpuUsPerRoundTrip: perRoundTripUs(routerCores),
      userUsPerRoundTrip: perRoundTripUs((router.cpuMs - router.cpuSystemMs) / router.elapsedMs),
      kernelUsPerRoundTrip: perRoundTripUs(router.cpuSystemMs / router.elapsedMs),
      clientUsPerRoundTrip: perRoundTripUs(callerCores + providerCores),
      callerUsPerRoundTrip: perRoundTripUs(callerCores),
      providerUsPerRoundTrip: perRoundTripUs(providerCores),
      routerCores,
      callerCores,
      providerCores,
      otherCores: Math.max(0, machineCores - routerCores - callerCores - providerCores),
    },
    details: {
      completed,
      issued: called.reduce((sum, r) => sum + r.issued, 0),
      windowMs,
      inFlightPerProcess: inFlight,
      callerProcesses: callers.length,
      callersPerProcess: options.callers,
      router,
      provider: { cpuMs: served.cpuMs, elapsedMs: served.elapsedMs },
      callers: called.map((r) => ({ completed: r.completed, cpuMs: r.cpuMs, elapsedMs: r.elapsedMs })),
      dateArrivesAs: [...new Set(called.flatMap((r) => (r.dateType === undefined ? [] : [r.dateType])))].join('/'),
    },
  };
}

/** One setup per system, then one measured run per number in flight. */
export async function runRequests(ctx: RunContext, system: SystemName, label: string): Promise<Measurement[]> {
  const { options } = ctx;
  const processes = await start(ctx, system, label);
  const measurements: Measurement[] = [];
  try {
    for (const inFlight of options.requestsInFlight) {
      ctx.log(`${label}: ${options.procs}×${inFlight} requests in flight for ${options.requestsWarmupSeconds}+${options.requestsSeconds} s`);
      try {
        measurements.push(await measure(ctx, processes, system, inFlight));
      } catch (error) {
        const caseName = requestsCase(inFlight, processes.callers.length, options.size);
        measurements.push({ scenario: 'requests', case: caseName, system, figures: {}, details: {}, error: describeError(error) });
        break; // the setup is in an unknown state
      }
    }
    return measurements;
  } finally {
    const { server, provider, callers } = processes;
    await Promise.all([...[provider, ...callers].map((child) => child.stop(5000)), server.stop(5000)]);
  }
}
