/**
 * `pnpm bench`: runs each scenario for each system in turn, prints one table with ratios and the
 * issue's targets, and writes every figure to bench/results/<timestamp>.json. See bench/README.md.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, platform, release, totalmem } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Measurement, type RunContext, describeError } from './context.js';
import { type BenchOptions, type ScenarioName, USAGE, parseOptions } from './options.js';
import { type ProfileSummary, renderProfile, summarizeProfile } from './profile.js';
import { buildRows, evaluateTargets, renderTable, renderTargets } from './report.js';
import { clusterCase, runCluster } from './scenarios/cluster.js';
import { runCodec } from './scenarios/codec.js';
import { runStorm, stormCase } from './scenarios/storm.js';
import { runStormNats } from './scenarios/storm-nats.js';
import { runStormSocketio } from './scenarios/storm-socketio.js';
import { formatSize, runFanout, runPayloadSizes } from './scenarios/fanout.js';
import { patternsCase, runPatterns, runTopics, topicsCase } from './scenarios/spread.js';
import { runIdle } from './scenarios/idle.js';
import { runLatency } from './scenarios/latency.js';
import { RECOVERY_SYSTEMS, recoveryCase, runRecovery } from './scenarios/recovery.js';
import { requestsCase, runRequests } from './scenarios/requests.js';
import { SYSTEM_LABELS, type SystemName } from './systems/system.js';

const BENCH_DIR = fileURLToPath(new URL('../', import.meta.url));
const REPO_DIR = join(BENCH_DIR, '..');

/** The version in a package's package.json, found by walking up from its resolved entry. */
function installedVersion(name: string): string {
  try {
    let dir = dirname(fileURLToPath(import.meta.resolve(name)));
    for (;;) {
      try {
        const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
        if (manifest.name === name) return manifest.version ?? 'unknown';
      } catch {
        // no package.json at this level
      }
      const parent = dirname(dir);
      if (parent === dir) return 'unknown';
      dir = parent;
    }
  } catch {
    return 'not installed';
  }
}

function machine() {
  const list = cpus();
  return {
    node: process.version,
    platform: `${platform()} ${release()}`,
    cpus: list.length,
    cpuModel: list[0]?.model ?? 'unknown',
    totalMemoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
  };
}

function packages(): Record<string, string> {
  const names = ['@herald/server', '@herald/client', '@herald/protocol', 'socket.io', 'socket.io-client', 'ws', 'superjson'];
  return Object.fromEntries(names.map((name) => [name, installedVersion(name)]));
}

async function runAll(ctx: RunContext, options: BenchOptions): Promise<Measurement[]> {
  const measurements: Measurement[] = [];
  const attempt = async (label: string, fallback: Omit<Measurement, 'error' | 'figures' | 'details'>, run: () => Promise<Measurement | Measurement[]>): Promise<void> => {
    try {
      const result = await run();
      measurements.push(...(Array.isArray(result) ? result : [result]));
    } catch (error) {
      ctx.log(`${label}: FAILED: ${describeError(error)}`);
      measurements.push({ ...fallback, figures: {}, details: {}, error: describeError(error) });
    }
  };
  /** A run of several cases on one setup: if the setup itself fails, every case gets the error. */
  const attemptCases = async (name: string, scenario: ScenarioName, system: SystemName, cases: string[], run: () => Promise<Measurement[]>): Promise<void> => {
    const before = measurements.length;
    await attempt(name, { scenario, case: cases[0]!, system }, run);
    const failed = measurements[before];
    if (measurements.length === before + 1 && failed?.error !== undefined) {
      measurements.pop();
      for (const caseName of cases) measurements.push({ scenario, case: caseName, system, figures: {}, details: {}, error: failed.error });
    }
  };
  const label = (scenario: string, system: SystemName): string => `${scenario} · ${SYSTEM_LABELS[system]}`;

  for (const scenario of options.scenarios) {
    switch (scenario) {
      case 'fanout':
        for (const n of options.fanoutSubscribers) {
          for (const system of options.systems) {
            const name = label(`fanout N=${n}`, system);
            await attempt(name, { scenario, case: `N=${n}, ${options.size} B`, system }, () => runFanout(ctx, system, n, name));
          }
        }
        break;
      case 'latency':
        for (const n of options.latencySubscribers) {
          for (const system of options.systems) {
            const name = label(`latency N=${n}`, system);
            await attempt(name, { scenario, case: `N=${n}, ${options.rate}/s, ${options.size} B`, system }, () => runLatency(ctx, system, n, name));
          }
        }
        break;
      case 'idle':
        for (const system of options.systems) {
          const name = label(`idle ${options.idleConnections}`, system);
          await attempt(name, { scenario, case: `${options.idleConnections} clients`, system }, () => runIdle(ctx, system, name));
        }
        break;
      case 'payload':
        for (const n of options.payloadSubscribers) {
          for (const system of options.systems) {
            const name = label(`payload N=${n}`, system);
            const cases = options.payloadSizes.map((size) => `N=${n}, ${formatSize(size)}`);
            await attemptCases(name, scenario, system, cases, () => runPayloadSizes(ctx, system, n, name));
          }
        }
        break;
      case 'requests':
        for (const system of options.systems) {
          const name = label('requests', system);
          const cases = options.requestsInFlight.map((inFlight) => requestsCase(inFlight, options.procs, options.size));
          await attemptCases(name, scenario, system, cases, () => runRequests(ctx, system, name));
        }
        break;
      case 'recovery':
        for (const system of options.systems) {
          if (!RECOVERY_SYSTEMS.includes(system)) continue;
          const name = label('recovery', system);
          const caseName = recoveryCase(options.recoverySubscribers, options.missed, options.size);
          await attempt(name, { scenario, case: caseName, system }, () => runRecovery(ctx, system, name));
        }
        if (!options.systems.some((system) => RECOVERY_SYSTEMS.includes(system))) ctx.log('recovery: Herald only, and Herald is not among the systems: skipped');
        break;
      case 'codec':
        measurements.push(...runCodec(ctx));
        break;
      case 'cluster':
        if (!options.systems.includes('herald')) break;
        await attemptCases('cluster', scenario, 'herald', [clusterCase(1, 0), clusterCase(3, 0)], () => runCluster(ctx, 'cluster · Herald'));
        break;
      case 'topics':
        for (const topics of options.topicCounts) {
          for (const system of options.systems) {
            if (system === 'herald-contract') continue;
            const name = label(`topics T=${topics}`, system);
            await attempt(name, { scenario, case: topicsCase(topics, options.topicsSubscribers, options.size), system }, () => runTopics(ctx, system, topics, name));
          }
        }
        break;
      case 'patterns':
        for (const patterns of options.patternCounts) {
          for (const system of options.systems) {
            if (system === 'herald-contract') continue;
            const name = label(`patterns P=${patterns}`, system);
            await attempt(name, { scenario, case: patternsCase(patterns, options.patternsSubscribers, options.size), system }, () => runPatterns(ctx, system, patterns, name));
          }
        }
        break;
      case 'storm':
        if (options.systems.includes('herald')) {
          await attemptCases('storm', scenario, 'herald', [stormCase(options.quick ? 600 : 5000)], () => runStorm(ctx, 'storm · Herald'));
        }
        if (options.systems.includes('socketio')) {
          await attemptCases('storm', scenario, 'socketio', [stormCase(options.quick ? 600 : 5000)], () => runStormSocketio(ctx, 'storm · Socket.IO'));
        }
        if (options.systems.includes('nats')) {
          await attemptCases('storm', scenario, 'nats', [stormCase(options.quick ? 600 : 5000)], () => runStormNats(ctx, 'storm · NATS'));
        }
        break;
    }
  }
  return measurements;
}

async function main(): Promise<number> {
  let parsed: BenchOptions | 'help';
  try {
    parsed = parseOptions(process.argv.slice(2));
  } catch (error) {
    console.error(`bench: ${describeError(error)}\n\n${USAGE}`);
    return 2;
  }
  if (parsed === 'help') {
    console.log(USAGE);
    return 0;
  }
  const options = parsed;
  const started = performance.now();
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const resultsDir = join(BENCH_DIR, 'results');
  const profileDir = join(resultsDir, `profiles-${stamp}`);
  mkdirSync(options.profile ? profileDir : resultsDir, { recursive: true });
  const ctx: RunContext = {
    options,
    profileDir,
    profiles: [],
    log: (message) => console.error(`[bench +${((performance.now() - started) / 1000).toFixed(1).padStart(5)} s] ${message}`),
  };

  const info = machine();
  const loadBefore = loadavg();
  console.error(
    `bench: ${info.cpus} × ${info.cpuModel}, Node ${info.node}; load average ${loadBefore.map((l) => l.toFixed(2)).join(' ')}` +
      `\nbench: scenarios ${options.scenarios.join(', ')}; systems ${options.systems.join(', ')}${options.quick ? '; quick' : ''}`,
  );

  const measurements = await runAll(ctx, options);
  const loadAfter = loadavg();
  const rows = buildRows(measurements);
  const targets = evaluateTargets(measurements);
  const profiles: ProfileSummary[] = [];
  for (const file of ctx.profiles) {
    try {
      profiles.push(summarizeProfile(file));
    } catch (error) {
      ctx.log(`could not read profile ${file}: ${describeError(error)}`);
    }
  }
  const elapsedSeconds = (performance.now() - started) / 1000;

  const out = options.out ?? join(resultsDir, `${stamp}.json`);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(
    out,
    `${JSON.stringify(
      {
        date: new Date().toISOString(),
        elapsedSeconds,
        machine: { ...info, loadAverageBefore: loadBefore, loadAverageAfter: loadAfter },
        packages: packages(),
        options,
        measurements,
        table: rows,
        targets,
        profiles,
      },
      null,
      2,
    )}\n`,
  );

  console.log('');
  console.log(
    `Herald bench, ${new Date().toISOString().slice(0, 10)}: ${info.cpus} × ${info.cpuModel}, Node ${info.node}, ` +
      `load average ${loadBefore[0]!.toFixed(2)} before, ${loadAfter[0]!.toFixed(2)} after${options.quick ? ' (quick run)' : ''}`,
  );
  console.log('');
  console.log(renderTable(rows, options.systems));
  if (options.markdown) {
    console.log('');
    console.log(renderTable(rows, options.systems, true));
  }
  const errors = measurements.filter((m) => m.error !== undefined);
  if (errors.length > 0) {
    console.log('');
    for (const m of errors) console.log(`error: ${m.scenario} ${m.case} ${SYSTEM_LABELS[m.system]}: ${m.error}`);
  }
  console.log('');
  console.log('Targets (issues 6 and 16; a benchmark, not a test: noisy on a busy machine):');
  console.log(renderTargets(targets));
  for (const summary of profiles) {
    console.log('');
    console.log(renderProfile({ ...summary, file: relative(REPO_DIR, summary.file) }));
  }
  console.log('');
  console.log(`Results: ${relative(REPO_DIR, out)} (${elapsedSeconds.toFixed(0)} s)`);
  return errors.length > 0 ? 1 : 0;
}

process.exitCode = await main();
// Everything is stopped by now; should a stray handle remain, exit anyway.
setTimeout(() => process.exit(), 5000).unref();
