/**
 * A requests child process: `node dist/requests-process.js`, configured over IPC, as the provider
 * (one client that answers `bench.echo`) or as callers (clients that keep a fixed number of
 * requests in flight, spread over them). In a run, callers count the round trips that complete
 * within the measured window of wall time and record their round-trip times; every process,
 * provider included, measures its own CPU over that window.
 */
import { startChild } from './child-runtime.js';
import { between, sampleAt } from './cpu.js';
import type { RequestsCommand, RequestsConfig, RequestsReport, RequestsResult, RequestsRun } from './ipc.js';
import { makePayload, wallNow } from './payload.js';
import { type BenchCaller, type BenchClient, type SystemAdapter, loadSystem } from './systems/system.js';

const channel = startChild<RequestsReport, RequestsCommand>(`requests[${process.pid}]`);

/** Clients connecting at once. */
const CONNECT_CONCURRENCY = 16;
/** After the window, how long the requests still in flight may take before the run gives up on them. */
const DRAIN_GRACE_MS = 5_000;

let config: RequestsConfig | undefined;
let adapter: SystemAdapter | undefined;
const callers: BenchCaller[] = [];
const clients: BenchClient[] = [];
let errors = 0;
let firstError: string | undefined;

function onError(error: unknown): void {
  errors++;
  firstError ??= error instanceof Error ? error.message : String(error);
}

async function connectAll(settings: RequestsConfig, system: SystemAdapter): Promise<void> {
  let next = 0;
  let failed = 0;
  let failure: string | undefined;
  const worker = async (): Promise<void> => {
    while (next < settings.clients) {
      next++;
      try {
        if (settings.role === 'provider') {
          clients.push(await system.provide(settings.url, { onError }, settings.connectTimeoutMs));
        } else {
          const caller = await system.caller(settings.url, { onError }, settings.connectTimeoutMs);
          callers.push(caller);
          clients.push(caller);
        }
      } catch (error) {
        failed++;
        failure ??= error instanceof Error ? error.message : String(error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONNECT_CONCURRENCY, settings.clients) }, worker));
  channel.send({ type: 'ready', connected: clients.length, failed, ...(failure === undefined ? {} : { firstError: failure }) });
}

/**
 * Callers: `inFlight` requests at once, round robin over the clients; each answer sends the next
 * request from the same client, until the window ends (or `maxRequests`). Then waits for the
 * requests still in flight, at most `DRAIN_GRACE_MS`.
 */
function call(run: RequestsRun): Promise<Omit<RequestsResult, 'type' | keyof ReturnType<typeof between>>> {
  const latencies = new Float64Array(Math.min(run.maxRequests, 4_000_000));
  let completed = 0;
  let issued = 0;
  let active = 0;
  let runErrors = 0;
  let runError: string | undefined;
  let dateType: string | undefined;
  let seq = 0;
  return new Promise((resolve) => {
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      clearTimeout(giveUp);
      if (active > 0) {
        runErrors += active;
        runError ??= `${active} requests still unanswered ${DRAIN_GRACE_MS} ms after the window`;
      }
      resolve({
        issued,
        completed,
        errors: runErrors,
        ...(runError === undefined ? {} : { firstError: runError }),
        latencies: latencies.slice(0, Math.min(completed, latencies.length)),
        ...(dateType === undefined ? {} : { dateType }),
      });
    };
    const giveUp = setTimeout(finish, Math.max(0, run.endAt - wallNow()) + DRAIN_GRACE_MS);
    const send = (caller: BenchCaller): void => {
      if (done) return;
      if (wallNow() >= run.endAt || issued >= run.maxRequests) {
        if (active === 0) finish();
        return;
      }
      issued++;
      active++;
      const sentAt = wallNow();
      caller.request(makePayload(++seq, run.size), run.timeoutMs).then(
        (result) => {
          const now = wallNow();
          active--;
          if (now >= run.startAt && now < run.endAt && completed < latencies.length) latencies[completed++] = now - sentAt;
          dateType ??= result.at instanceof Date ? 'Date' : typeof result.at;
          send(caller);
        },
        (error: unknown) => {
          // This slot stops: a failing system must not spin. The run reports the error.
          active--;
          runErrors++;
          runError ??= error instanceof Error ? error.message : String(error);
          if (active === 0 && (wallNow() >= run.endAt || issued >= run.maxRequests)) finish();
        },
      );
    };
    for (let i = 0; i < run.inFlight; i++) send(callers[i % callers.length]!);
    if (run.inFlight === 0) finish();
  });
}

async function runOnce(run: RequestsRun, role: RequestsConfig['role']): Promise<RequestsResult> {
  const window = Promise.all([sampleAt(run.startAt), sampleAt(run.endAt)]);
  const outcome = role === 'caller' ? await call(run) : { issued: 0, completed: 0, errors: 0, latencies: new Float64Array(0) };
  const [start, end] = await window;
  const result: RequestsResult = { type: 'run-result', ...between(start, end), ...outcome };
  if (errors > 0) {
    result.errors += errors;
    result.firstError ??= firstError;
    errors = 0;
    firstError = undefined;
  }
  return result;
}

channel.onMessage(async (command) => {
  switch (command.type) {
    case 'config':
      config = command;
      adapter = await loadSystem(command.system); // load the libraries before anything is timed
      channel.send({ type: 'loaded' });
      return;
    case 'connect':
      if (config === undefined || adapter === undefined) throw new Error('connect before config');
      await connectAll(config, adapter);
      return;
    case 'run':
      if (config === undefined) throw new Error('run before config');
      channel.send(await runOnce(command, config.role));
      return;
    case 'stop':
      process.exit(0);
  }
});
