/**
 * The printed table (one row per scenario, case and metric; one column per system; Herald's ratio
 * to raw ws+superjson and to Socket.IO) and the issue's targets as PASS/MISS lines.
 */
import type { Measurement } from './context.js';
import type { ScenarioName } from './options.js';
import { SYSTEM_LABELS, type SystemName } from './systems/system.js';

interface Metric {
  key: string;
  label: string;
  better: 'higher' | 'lower' | 'info';
  format: (value: number) => string;
  /** The cell from all of a measurement's figures (for rows that show several); such rows get no ratio. */
  text?: (figures: Record<string, number>) => string;
  /** The cell when the figure is absent, if something explains why (e.g. `saturated`). */
  missing?: (figures: Record<string, number>) => string | undefined;
}

/** Latency of a system that could not carry the offered load: there is none to show (latency.ts). */
const SATURATED = (f: Record<string, number>): string | undefined => (f.saturated === 1 ? 'saturated' : undefined);

/** The router's CPU per delivery split into its own code (user) and the kernel's (socket writes). */
const SPLIT: Metric = {
  key: 'userUsPerDelivery',
  label: 'router µs per delivery: user+kernel',
  better: 'info',
  format: sig,
  text: (f) => `${sig(f.userUsPerDelivery ?? 0)}+${sig(f.kernelUsPerDelivery ?? 0)}`,
};

/** What receiving costs the subscribers' processes (the client library, decoding included). */
const CLIENT: Metric = { key: 'subscriberUsPerDelivery', label: 'client CPU µs per delivery ↓', better: 'lower', format: sig };

/** Where the machine's CPU went during the measured phase: router + subscribers, and anything else. */
const CORES: Metric = {
  key: 'routerCores',
  label: 'cores: router+subscribers (other)',
  better: 'info',
  format: sig,
  text: (f) => `${(f.routerCores ?? 0).toFixed(2)}+${(f.subscriberCores ?? 0).toFixed(2)} (${(f.otherCores ?? 0).toFixed(2)})`,
};

/** The rows of the scenarios that spread a fan-out over many topics or patterns (spread.ts). */
const SPREAD: Metric[] = [
  { key: 'deliveriesPerSec', label: 'deliveries/s ↑', better: 'higher', format: count },
  { key: 'cpuUsPerDelivery', label: 'router CPU µs per delivery ↓', better: 'lower', format: sig },
  { key: 'cpuUsPerPublish', label: 'router CPU µs per publish ↓', better: 'lower', format: sig },
  SPLIT,
  CLIENT,
  CORES,
];

/** The codec scenario's round-by-round ratio to superjson: median and quartiles. */
const pairedRatio = (f: Record<string, number>, operation: 'encode' | 'decode'): string =>
  `${(f[`${operation}VsSuperjson`] ?? 0).toFixed(2)}× [${(f[`${operation}VsSuperjsonP25`] ?? 0).toFixed(2)}–${(f[`${operation}VsSuperjsonP75`] ?? 0).toFixed(2)}]`;

/** Three significant digits, no exponent. */
export function sig(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  if (abs >= 100) return value.toFixed(0);
  if (abs >= 10) return value.toFixed(1);
  if (abs >= 1) return value.toFixed(2);
  return value.toPrecision(3);
}

export function count(value: number): string {
  const abs = Math.abs(value);
  if (abs >= 1e6) return `${sig(value / 1e6)}M`;
  if (abs >= 1e3) return `${sig(value / 1e3)}k`;
  return sig(value);
}

export function bytes(value: number): string {
  const abs = Math.abs(value);
  if (abs >= 1024 * 1024) return `${sig(value / 1024 / 1024)} MiB`;
  if (abs >= 1024) return `${sig(value / 1024)} KiB`;
  return `${sig(value)} B`;
}

const ms = (value: number): string => sig(value);

export const METRICS: Record<ScenarioName, Metric[]> = {
  fanout: [
    { key: 'deliveriesPerSec', label: 'deliveries/s ↑', better: 'higher', format: count },
    { key: 'cpuSecPerMillion', label: 'router CPU s per M deliveries ↓', better: 'lower', format: sig },
    SPLIT,
    CLIENT,
    CORES,
  ],
  latency: [
    { key: 'p50Ms', label: 'p50 ms ↓', better: 'lower', format: ms, missing: SATURATED },
    { key: 'p99Ms', label: 'p99 ms ↓', better: 'lower', format: ms, missing: SATURATED },
    { key: 'maxMs', label: 'max ms ↓', better: 'lower', format: ms, missing: SATURATED },
    {
      key: 'publishP50Ms',
      label: "router's time per publish, to its last socket written: p50 / p99 ms",
      better: 'info',
      format: ms,
      text: (f) => `${ms(f.publishP50Ms ?? 0)} / ${ms(f.publishP99Ms ?? 0)}`,
    },
    {
      key: 'publishCpuP50Ms',
      label: 'that time split: on a CPU p50 / p99 ms; waiting for a core (run queue) p50 / p99 ms',
      better: 'info',
      format: ms,
      text: (f) => `${ms(f.publishCpuP50Ms ?? 0)} / ${ms(f.publishCpuP99Ms ?? 0)}; ${ms(f.publishWaitP50Ms ?? 0)} / ${ms(f.publishWaitP99Ms ?? 0)}`,
    },
    {
      key: 'firstP50Ms',
      label: "a message's first delivery in a process: p50 / p99 ms (router, kernel, wake-up)",
      better: 'info',
      format: ms,
      text: (f) => `${ms(f.firstP50Ms ?? 0)} / ${ms(f.firstP99Ms ?? 0)}`,
      missing: SATURATED,
    },
    {
      key: 'spreadP50Ms',
      label: 'its last delivery in the process minus its first: p50 / p99 ms (the clients)',
      better: 'info',
      format: ms,
      text: (f) => `${ms(f.spreadP50Ms ?? 0)} / ${ms(f.spreadP99Ms ?? 0)}`,
      missing: SATURATED,
    },
    {
      key: 'carriedPerSec',
      label: 'deliveries/s carried (offered)',
      better: 'info',
      format: count,
      text: (f) => `${count(f.carriedPerSec ?? 0)} (${count(f.offeredPerSec ?? 0)})`,
    },
    CLIENT,
    {
      key: 'deliveriesPerRead',
      label: "deliveries per client read() (a subscriber's wake-up; CPU per delivery falls as it grows)",
      better: 'info',
      format: sig,
    },
    {
      key: 'deliveriesPerWake',
      label: "deliveries per wake-up of a subscriber process (all its clients' sockets; the same)",
      better: 'info',
      format: sig,
    },
    CORES,
    {
      key: 'routerGcCount',
      label: 'router GC: pauses (major), total / longest ms',
      better: 'info',
      format: sig,
      text: (f) => `${f.routerGcCount ?? 0} (${f.routerGcMajor ?? 0}), ${sig(f.routerGcMs ?? 0)} / ${sig(f.routerGcMaxMs ?? 0)}`,
    },
    {
      key: 'clientGcCount',
      label: 'subscribers GC: pauses, total / longest ms',
      better: 'info',
      format: sig,
      text: (f) => `${f.clientGcCount ?? 0}, ${sig(f.clientGcMs ?? 0)} / ${sig(f.clientGcMaxMs ?? 0)}`,
    },
  ],
  idle: [
    { key: 'rssPerConn', label: 'router RSS per conn ↓', better: 'lower', format: bytes },
    { key: 'heapPerConn', label: 'router heap per conn ↓', better: 'lower', format: bytes },
    { key: 'connPerSec', label: 'connections/s ↑', better: 'higher', format: count },
    { key: 'cpuUsPerConn', label: 'router CPU µs per connect ↓', better: 'lower', format: sig },
    {
      key: 'userUsPerConn',
      label: 'router µs per connect: user+kernel',
      better: 'info',
      format: sig,
      text: (f) => `${sig(f.userUsPerConn ?? 0)}+${sig(f.kernelUsPerConn ?? 0)}`,
    },
    // The client processes share the cores with the router: connections/s is bound by both.
    { key: 'clientUsPerConn', label: 'client CPU µs per connect ↓', better: 'lower', format: sig },
    // The router's event loop per connect: how often it slept and woke (fewer connects per wake-up
    // cost more CPU each), and how often another process preempted it (its caches then go cold).
    {
      key: 'wakeupsPerConn',
      label: 'router wake-ups+preemptions per connect',
      better: 'info',
      format: sig,
      text: (f) => `${sig(f.wakeupsPerConn ?? 0)}+${sig(f.preemptionsPerConn ?? 0)}`,
    },
  ],
  payload: [
    { key: 'deliveriesPerSec', label: 'deliveries/s ↑', better: 'higher', format: count },
    { key: 'cpuUsPerDelivery', label: 'router CPU µs per delivery ↓', better: 'lower', format: sig },
    SPLIT,
    CLIENT,
    CORES,
  ],
  topics: SPREAD,
  patterns: SPREAD,
  codec: [
    { key: 'encodeOps', label: 'encode ops per CPU s ↑', better: 'higher', format: count },
    { key: 'decodeOps', label: 'decode ops per CPU s ↑', better: 'higher', format: count },
    {
      key: 'encodeVsSuperjson',
      label: 'encode Herald ÷ superjson, paired slices: median [quartiles] ↑',
      better: 'info',
      format: sig,
      text: (f) => pairedRatio(f, 'encode'),
    },
    {
      key: 'decodeVsSuperjson',
      label: 'decode Herald ÷ superjson, paired slices: median [quartiles] ↑',
      better: 'info',
      format: sig,
      text: (f) => pairedRatio(f, 'decode'),
    },
  ],
  requests: [
    { key: 'roundTripsPerSec', label: 'round trips/s ↑', better: 'higher', format: count },
    { key: 'p50Ms', label: 'round trip p50 ms ↓', better: 'lower', format: ms },
    { key: 'p99Ms', label: 'round trip p99 ms ↓', better: 'lower', format: ms },
    { key: 'cpuSecPerMillion', label: 'router CPU s per M round trips ↓', better: 'lower', format: sig },
    {
      key: 'userUsPerRoundTrip',
      label: 'router µs per round trip: user+kernel',
      better: 'info',
      format: sig,
      text: (f) => `${sig(f.userUsPerRoundTrip ?? 0)}+${sig(f.kernelUsPerRoundTrip ?? 0)}`,
    },
    {
      key: 'clientUsPerRoundTrip',
      label: 'client CPU µs per round trip ↓ (callers+provider)',
      better: 'lower',
      format: sig,
    },
    {
      key: 'callerUsPerRoundTrip',
      label: 'client µs per round trip: callers+provider',
      better: 'info',
      format: sig,
      text: (f) => `${sig(f.callerUsPerRoundTrip ?? 0)}+${sig(f.providerUsPerRoundTrip ?? 0)}`,
    },
    {
      key: 'routerCores',
      label: 'cores: router+callers+provider (other)',
      better: 'info',
      format: sig,
      text: (f) =>
        `${(f.routerCores ?? 0).toFixed(2)}+${(f.callerCores ?? 0).toFixed(2)}+${(f.providerCores ?? 0).toFixed(2)} (${(f.otherCores ?? 0).toFixed(2)})`,
    },
  ],
  cluster: [
    { key: 'deliveriesPerSec', label: 'deliveries/s ↑', better: 'higher', format: count },
    { key: 'routerCpuUsPerDelivery', label: 'routers CPU µs per delivery (all routers) ↓', better: 'lower', format: sig },
    { key: 'p50Ms', label: 'latency p50 ms ↓', better: 'lower', format: sig },
    { key: 'p99Ms', label: 'latency p99 ms ↓', better: 'lower', format: sig },
    { key: 'redisHopP50Ms', label: 'p50 added by the Redis hop at that load (other routers vs one router) ms', better: 'info', format: sig },
    { key: 'pacedP50Ms', label: 'paced 200 msg/s, 3 subscribers: latency p50 ms ↓', better: 'lower', format: sig },
    { key: 'pacedP99Ms', label: 'paced: latency p99 ms ↓', better: 'lower', format: sig },
    { key: 'pacedRemoteP50Ms', label: 'paced: p50 on the other routers ms ↓', better: 'lower', format: sig },
    { key: 'redisHopPacedP50Ms', label: 'paced: p50 added by the Redis hop (goal ≤ 1 ms) ms', better: 'info', format: sig },
  ],
  storm: [
    { key: 'stormMs', label: 'SIGKILL to all resubscribed and recovered ms ↓', better: 'lower', format: ms },
    { key: 'reconnected', label: 'clients that moved', better: 'info', format: count },
    { key: 'routerCpuUsPerClient', label: 'surviving routers CPU µs per moved client ↓', better: 'lower', format: sig },
    { key: 'missedDelivered', label: 'moved clients that got the message published while away (Herald: all)', better: 'info', format: count },
  ],
  recovery: [
    { key: 'recoverMs', label: 'cut to all recovered ms ↓', better: 'lower', format: ms },
    { key: 'publishMs', label: 'router publishing the missed ms ↓', better: 'lower', format: ms },
    { key: 'reconnectMs', label: 'cut to reconnected ms ↓', better: 'lower', format: ms },
    { key: 'replayPerSec', label: 'replayed messages/s ↑', better: 'higher', format: count },
    { key: 'cpuUsPerMessage', label: 'router CPU µs per missed message ↓', better: 'lower', format: sig },
  ],
};

export interface TableRow {
  scenario: ScenarioName;
  case: string;
  metric: string;
  values: Partial<Record<SystemName, string>>;
  raw: Partial<Record<SystemName, number>>;
  heraldVsWsSuperjson?: number;
  heraldVsSocketio?: number;
  /** Herald's figure divided by each baseline's (RATIO_BASELINES) in this row. */
  ratios: Partial<Record<SystemName, number>>;
}

/** The systems Herald is divided by, each in a column of its own when it ran, with the column's title. */
const RATIO_BASELINES: ReadonlyArray<{ system: SystemName; title: string }> = [
  { system: 'ws-superjson', title: 'Herald/ws+sj' },
  { system: 'socketio', title: 'Herald/S.IO' },
  { system: 'ws-superjson-corked', title: 'Herald/sj corked' },
  { system: 'ws-json-frame-once', title: 'Herald/frame-once' },
  { system: 'nats', title: 'Herald/NATS' },
];

const ratio = (a: number | undefined, b: number | undefined): number | undefined =>
  a === undefined || b === undefined || b === 0 ? undefined : a / b;

export function buildRows(measurements: Measurement[]): TableRow[] {
  const rows: TableRow[] = [];
  const cases: Array<{ scenario: ScenarioName; case: string }> = [];
  for (const m of measurements) {
    if (!cases.some((c) => c.scenario === m.scenario && c.case === m.case)) cases.push({ scenario: m.scenario, case: m.case });
  }
  for (const { scenario, case: caseName } of cases) {
    const ofCase = measurements.filter((m) => m.scenario === scenario && m.case === caseName);
    for (const metric of METRICS[scenario]) {
      const row: TableRow = { scenario, case: caseName, metric: metric.label, values: {}, raw: {}, ratios: {} };
      for (const m of ofCase) {
        const value = m.figures[metric.key];
        if (m.error !== undefined) row.values[m.system] = 'error';
        else if (metric.text !== undefined) {
          if (value !== undefined) row.values[m.system] = metric.text(m.figures);
        } else if (value !== undefined) {
          row.values[m.system] = metric.format(value);
          row.raw[m.system] = value;
        } else {
          const why = metric.missing?.(m.figures);
          if (why !== undefined) row.values[m.system] = why;
        }
      }
      const heraldVsWsSuperjson = ratio(row.raw.herald, row.raw['ws-superjson']);
      const heraldVsSocketio = ratio(row.raw.herald, row.raw.socketio);
      if (heraldVsWsSuperjson !== undefined) row.heraldVsWsSuperjson = heraldVsWsSuperjson;
      if (heraldVsSocketio !== undefined) row.heraldVsSocketio = heraldVsSocketio;
      for (const { system } of RATIO_BASELINES) {
        const value = ratio(row.raw.herald, row.raw[system]);
        if (value !== undefined) row.ratios[system] = value;
      }
      rows.push(row);
    }
  }
  return rows;
}

/** The table as aligned text (or Markdown with `markdown`). */
export function renderTable(rows: TableRow[], systems: SystemName[], markdown = false): string {
  const header = ['scenario', 'case', 'metric', ...systems.map((s) => SYSTEM_LABELS[s])];
  const baselines = systems.includes('herald') ? RATIO_BASELINES.filter(({ system }) => systems.includes(system)) : [];
  for (const { title } of baselines) header.push(title);
  const body = rows.map((row) => {
    const cells = [row.scenario, row.case, row.metric, ...systems.map((s) => row.values[s] ?? '—')];
    for (const { system } of baselines) {
      const value = row.ratios[system];
      cells.push(value === undefined ? '—' : `${value.toFixed(2)}×`);
    }
    return cells;
  });
  if (markdown) {
    const line = (cells: string[]): string => `| ${cells.join(' | ')} |`;
    const align = header.map((_, i) => (i < 3 ? '---' : '---:'));
    return [line(header), line(align), ...body.map(line)].join('\n');
  }
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((cells) => cells[i]!.length)));
  const format = (cells: string[]): string =>
    cells.map((cell, i) => (i < 3 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ').trimEnd();
  const lines: string[] = [format(header), widths.map((w) => '-'.repeat(w)).join('  ')];
  let previous: string | undefined;
  for (const [i, cells] of body.entries()) {
    if (previous !== undefined && rows[i]!.scenario !== previous) lines.push('');
    previous = rows[i]!.scenario;
    lines.push(format(cells));
  }
  return lines.join('\n');
}

export interface TargetResult {
  target: string;
  status: 'PASS' | 'MISS' | 'n/a';
  detail: string;
}

function find(measurements: Measurement[], scenario: ScenarioName, system: SystemName, pick?: (m: Measurement) => boolean): Measurement | undefined {
  return measurements.find((m) => m.scenario === scenario && m.system === system && m.error === undefined && (pick?.(m) ?? true));
}

/** The issue's targets, each as a ratio measured in this run. */
export function evaluateTargets(measurements: Measurement[]): TargetResult[] {
  const results: TargetResult[] = [];
  const fanoutNs = measurements.filter((m) => m.scenario === 'fanout').map((m) => Number(m.details.subscribers));
  const n = fanoutNs.includes(1000) ? 1000 : fanoutNs.length > 0 ? Math.max(...fanoutNs) : undefined;
  const atN = (m: Measurement): boolean => m.details.subscribers === n;
  const nNote = n === 1000 || n === undefined ? '' : ` (N=${n}: N=1000 was not run)`;

  const compare = (
    target: string,
    scenario: ScenarioName,
    key: string,
    other: SystemName,
    test: (herald: number, other: number) => boolean,
    describe: (herald: number, other: number) => string,
    pick?: (m: Measurement) => boolean,
  ): void => {
    const herald = find(measurements, scenario, 'herald', pick)?.figures[key];
    const base = find(measurements, scenario, other, pick)?.figures[key];
    if (herald === undefined || base === undefined) {
      results.push({ target, status: 'n/a', detail: `not measured in this run (needs Herald and ${SYSTEM_LABELS[other]})` });
      return;
    }
    results.push({ target, status: test(herald, base) ? 'PASS' : 'MISS', detail: describe(herald, base) });
  };

  compare(
    `fan-out N=1000: Herald ≥ 0.95× ws+superjson deliveries/s${nNote}`,
    'fanout',
    'deliveriesPerSec',
    'ws-superjson',
    (h, o) => h >= 0.95 * o,
    (h, o) => `${count(h)}/s vs ${count(o)}/s = ${(h / o).toFixed(2)}×`,
    atN,
  );
  compare(
    `fan-out N=1000: Herald ≥ 1.5× Socket.IO deliveries/s${nNote}`,
    'fanout',
    'deliveriesPerSec',
    'socketio',
    (h, o) => h >= 1.5 * o,
    (h, o) => `${count(h)}/s vs ${count(o)}/s = ${(h / o).toFixed(2)}×`,
    atN,
  );
  compare(
    `fan-out N=1000: router CPU per delivery ≤ 1.1× ws+superjson${nNote}`,
    'fanout',
    'cpuSecPerMillion',
    'ws-superjson',
    (h, o) => h <= 1.1 * o,
    (h, o) => `${sig(h)} vs ${sig(o)} CPU s per M deliveries = ${(h / o).toFixed(2)}×`,
    atN,
  );
  // Issue 16: the limits of a router on `ws`, and a Go broker.
  for (const [other, limit] of [['ws-superjson-corked', 1.0], ['ws-json-frame-once', 1.2]] as const) {
    compare(
      `fan-out N=1000: router CPU per delivery ≤ ${limit.toFixed(1)}× ${SYSTEM_LABELS[other]}${nNote}`,
      'fanout',
      'cpuSecPerMillion',
      other,
      (h, o) => h <= limit * o,
      (h, o) => `${sig(h)} vs ${sig(o)} CPU s per M deliveries = ${(h / o).toFixed(2)}×`,
      atN,
    );
  }
  compare(
    `fan-out N=1000: Herald ≥ 1.0× NATS deliveries/s${nNote}`,
    'fanout',
    'deliveriesPerSec',
    'nats',
    (h, o) => h >= o,
    (h, o) => `${count(h)}/s vs ${count(o)}/s = ${(h / o).toFixed(2)}×`,
    atN,
  );
  // Latency: issue 6's line against the naive loop at N=100, issue 16's against the corked loop at
  // N=100 and N=1000. A saturated system has no p99 (latency.ts): Herald saturated is a miss.
  const latencyTarget = (target: string, other: SystemName, subscribers: number): void => {
    const atLatencyN = (m: Measurement): boolean => m.details.subscribers === subscribers;
    const herald = find(measurements, 'latency', 'herald', atLatencyN);
    const base = find(measurements, 'latency', other, atLatencyN);
    if (herald === undefined || base === undefined) {
      results.push({ target, status: 'n/a', detail: `not measured in this run (needs Herald and ${SYSTEM_LABELS[other]} at N=${subscribers})` });
      return;
    }
    const h = herald.figures.p99Ms;
    const o = base.figures.p99Ms;
    const carried = (m: Measurement): string => `${count(m.figures.carriedPerSec ?? 0)} of ${count(m.figures.offeredPerSec ?? 0)} deliveries/s`;
    if (h === undefined && o === undefined) {
      results.push({ target, status: 'n/a', detail: `both saturated: Herald carried ${carried(herald)}, ${SYSTEM_LABELS[other]} ${carried(base)}` });
    } else if (h === undefined) {
      results.push({ target, status: 'MISS', detail: `Herald saturated (carried ${carried(herald)}); ${SYSTEM_LABELS[other]} p99 ${sig(o!)} ms` });
    } else if (o === undefined) {
      results.push({ target, status: 'PASS', detail: `${sig(h)} ms; ${SYSTEM_LABELS[other]} saturated (carried ${carried(base)})` });
    } else {
      results.push({ target, status: h <= o + 0.5 ? 'PASS' : 'MISS', detail: `${sig(h)} ms vs ${sig(o)} ms = ${h - o >= 0 ? '+' : ''}${sig(h - o)} ms` });
    }
  };
  latencyTarget('latency N=100: Herald p99 ≤ ws+superjson p99 + 0.5 ms', 'ws-superjson', 100);
  latencyTarget('latency N=100: Herald p99 ≤ ws+sj corked p99 + 0.5 ms (issue 16)', 'ws-superjson-corked', 100);
  latencyTarget('latency N=1000: Herald p99 ≤ ws+sj corked p99 + 0.5 ms (issue 16)', 'ws-superjson-corked', 1000);
  compare(
    'idle: Herald router RSS per connection ≤ 1.2× ws',
    'idle',
    'rssPerConn',
    'ws-superjson',
    (h, o) => h <= 1.2 * o,
    (h, o) => `${bytes(h)} vs ${bytes(o)} = ${(h / o).toFixed(2)}×`,
  );
  // Issue 16: the connect path (a reconnect storm is made of connects) against a raw `ws` accept.
  compare(
    'idle: Herald router CPU per connect ≤ 1.25× ws',
    'idle',
    'cpuUsPerConn',
    'ws-superjson',
    (h, o) => h <= 1.25 * o,
    (h, o) => `${sig(h)} µs vs ${sig(o)} µs = ${(h / o).toFixed(2)}×`,
  );
  compare(
    'idle: Herald connections/s ≥ 0.8× ws',
    'idle',
    'connPerSec',
    'ws-superjson',
    (h, o) => h >= 0.8 * o,
    (h, o) => `${count(h)}/s vs ${count(o)}/s = ${(h / o).toFixed(2)}×`,
  );
  compare(
    'idle: Herald router RSS per connection ≤ 1.1× ws (issue 16)',
    'idle',
    'rssPerConn',
    'ws-superjson',
    (h, o) => h <= 1.1 * o,
    (h, o) => `${bytes(h)} vs ${bytes(o)} = ${(h / o).toFixed(2)}×`,
  );
  // Issue 11: Herald's codec at least as fast as superjson on every payload, both ways, judged on
  // the median of the round-by-round ratios (the row "… paired slices" of the table).
  for (const m of measurements.filter((m) => m.scenario === 'codec' && m.system === 'herald' && m.error === undefined)) {
    for (const [operation, library] of [['encode', 'superjson.stringify'], ['decode', 'superjson.parse']] as const) {
      const value = m.figures[`${operation}VsSuperjson`];
      if (value === undefined) continue;
      results.push({
        target: `codec ${m.case}: Herald ${operation} ≥ 1.0× ${library}`,
        status: value >= 1 ? 'PASS' : 'MISS',
        detail:
          `${pairedRatio(m.figures, operation)} over ${String(m.details.rounds)} paired slices` +
          ((m.figures[`${operation}VsSuperjsonP25`] ?? 0) < 1 && (m.figures[`${operation}VsSuperjsonP75`] ?? 0) >= 1 ? ' (the quartiles straddle 1.0: within this run\'s noise)' : ''),
      });
    }
  }
  return results;
}

export function renderTargets(results: TargetResult[]): string {
  return results.map((r) => `${r.status.padEnd(4)}  ${r.target}: ${r.detail}`).join('\n');
}
