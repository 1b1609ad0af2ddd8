import { parseArgs } from 'node:util';
import { DEFAULT_SYSTEMS, SYSTEMS, type SystemName, isSystemName } from './systems/system.js';

export const SCENARIOS = ['fanout', 'latency', 'requests', 'idle', 'payload', 'recovery', 'codec', 'cluster', 'storm', 'topics', 'patterns'] as const;
/** What runs without `--scenario`: the scaling curves over topics and patterns only when asked for. */
export const DEFAULT_SCENARIOS: readonly ScenarioName[] = SCENARIOS.filter((s) => s !== 'topics' && s !== 'patterns');
export type ScenarioName = (typeof SCENARIOS)[number];

export interface BenchOptions {
  scenarios: ScenarioName[];
  systems: SystemName[];
  quick: boolean;
  /** Subscriber counts of fan-out; latency and payload use their own unless `--subscribers` is given. */
  fanoutSubscribers: number[];
  latencySubscribers: number[];
  payloadSubscribers: number[];
  /** Measured seconds of each fan-out run (after warm-up). */
  fanoutSeconds: number;
  latencySeconds: number;
  payloadSeconds: number;
  /** Measured seconds of each requests run (after warm-up). */
  requestsSeconds: number;
  /** Warm-up of each requests run: 1 s even with `--quick`, so that the request path is optimized. */
  requestsWarmupSeconds: number;
  warmupSeconds: number;
  /** Payload size of fan-out and latency, in bytes. */
  size: number;
  payloadSizes: number[];
  /** Most messages per payload-size run of 1 MB or more. */
  largeMessages: number;
  /** Subscriber processes of fan-out, latency and payload; caller processes of requests. */
  procs: number;
  /** Requests: requests in flight per caller process, one measured run each. */
  requestsInFlight: number[];
  /** Requests: caller clients per caller process. */
  callers: number;
  /** Recovery: messages published while the subscribers are cut off. */
  missed: number;
  /** Recovery: subscribers cut and recovering at once. */
  recoverySubscribers: number;
  /** Topics scenario: topic counts (one run each), and the subscribers spread over them. */
  topicCounts: number[];
  topicsSubscribers: number;
  /** Patterns scenario: pattern counts (one run each), and the fan-out's subscribers. */
  patternCounts: number[];
  patternsSubscribers: number;
  /** Messages in flight; default from a budget of deliveries and bytes. */
  window: number | undefined;
  rate: number;
  idleConnections: number;
  /** Idle: clients opened (and kept open) before the measured ones, the same for every system. */
  idleWarmup: number;
  idleProcs: number;
  /** Codec scenario: length of one measured slice, and how many interleaved rounds of slices. */
  codecMs: number;
  codecRounds: number;
  profile: boolean;
  /** Print the table as Markdown too (for bench/README.md). */
  markdown: boolean;
  out: string | undefined;
}

export const USAGE = `Usage: pnpm bench [options]

  --scenario LIST      fanout,latency,requests,idle,payload,recovery,codec,cluster,storm (default: all of
                       these), topics, patterns (scaling curves, only when named)
  --systems LIST       herald,socketio,ws-json,ws-superjson,ws-superjson-corked,ws-json-frame-once,nats
                       (default: all of these), herald-contract (Herald with a zod contract
                       on the bench topics); recovery is Herald only
  --quick              short runs (about a minute in all), for development
  --subscribers LIST   subscriber counts (fan-out default 100,1000; latency 100,1000 (100 with
                       --quick); payload 50)
  --seconds S          measured seconds of each fan-out, latency, payload and requests run
  --warmup S           warm-up seconds before measuring
  --size BYTES         payload size of fan-out, latency, requests and recovery (default 200)
  --sizes LIST         payload sizes of the payload scenario (default 100,10000,1000000)
  --procs N            subscriber processes; requests: caller processes (default 2)
  --window N           messages in flight (default 32; fewer above 32 MB in flight)
  --rate N             latency: messages per second (default 200)
  --in-flight LIST     requests: requests in flight per caller process, one run each (default 32,1)
  --callers N          requests: caller clients per caller process (default 4)
  --connections N      idle: clients (default 5000)
  --idle-warmup N      idle: clients opened and kept open before the measured ones, so that every
                       server's connect path is compiled before the window (default 2000; 500
                       with --quick; 0 for none)
  --topics LIST        topics: topic counts, one run each (default 1,100,10000,100000); subscribers
                       (--subscribers, default 1000) spread over them, messages round robin
  --patterns LIST      patterns: patterns held that match nothing, one run each (default
                       1,100,1000,10000), beside a fan-out to --subscribers (default 100)
  --codec-rounds N     codec: interleaved rounds of slices per payload; each figure is the median
                       of its N slices (default 25; 5 with --quick)
  --missed N           recovery: messages published while the subscriber is cut off (default 10000)
  --profile            write a V8 CPU profile of each server's measured fan-out, payload and requests phase
  --markdown           print the table as Markdown as well (for bench/README.md)
  --out FILE           results file (default bench/results/<timestamp>.json)
  --help
`;

function list(value: string | undefined): string[] | undefined {
  return value?.split(',').map((item) => item.trim()).filter((item) => item !== '');
}

function positive(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0) throw new Error(`--${name} must be a positive number, not "${value}"`);
  return number;
}

function integers(name: string, value: string | undefined): number[] | undefined {
  return list(value)?.map((item) => Math.round(positive(name, item)!));
}

export function parseOptions(argv: string[]): BenchOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      scenario: { type: 'string', multiple: true },
      systems: { type: 'string' },
      quick: { type: 'boolean', default: false },
      subscribers: { type: 'string' },
      seconds: { type: 'string' },
      warmup: { type: 'string' },
      size: { type: 'string' },
      sizes: { type: 'string' },
      procs: { type: 'string' },
      window: { type: 'string' },
      rate: { type: 'string' },
      'in-flight': { type: 'string' },
      callers: { type: 'string' },
      connections: { type: 'string' },
      'idle-warmup': { type: 'string' },
      missed: { type: 'string' },
      'codec-rounds': { type: 'string' },
      topics: { type: 'string' },
      patterns: { type: 'string' },
      profile: { type: 'boolean', default: false },
      markdown: { type: 'boolean', default: false },
      out: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return 'help';
  const quick = values.quick ?? false;

  const scenarios = (values.scenario?.flatMap((s) => list(s) ?? []) ?? [...DEFAULT_SCENARIOS]) as string[];
  for (const scenario of scenarios) {
    if (!(SCENARIOS as readonly string[]).includes(scenario)) throw new Error(`unknown scenario "${scenario}"; use ${SCENARIOS.join(', ')}`);
  }
  const systems = list(values.systems) ?? [...DEFAULT_SYSTEMS];
  for (const system of systems) if (!isSystemName(system)) throw new Error(`unknown system "${system}"; use ${SYSTEMS.join(', ')}`);

  const subscribers = integers('subscribers', values.subscribers);
  const seconds = positive('seconds', values.seconds);
  return {
    scenarios: scenarios as ScenarioName[],
    systems: systems as SystemName[],
    quick,
    fanoutSubscribers: subscribers ?? [100, 1000],
    latencySubscribers: subscribers ?? (quick ? [100] : [100, 1000]),
    payloadSubscribers: subscribers ?? [quick ? 20 : 50],
    fanoutSeconds: seconds ?? (quick ? 1 : 5),
    latencySeconds: seconds ?? (quick ? 1 : 4),
    payloadSeconds: seconds ?? (quick ? 0.5 : 2.5),
    requestsSeconds: seconds ?? (quick ? 0.7 : 3),
    requestsWarmupSeconds: positive('warmup', values.warmup) ?? 1,
    warmupSeconds: positive('warmup', values.warmup) ?? (quick ? 0.3 : 1),
    size: Math.round(positive('size', values.size) ?? 200),
    payloadSizes: integers('sizes', values.sizes) ?? [100, 10_000, 1_000_000],
    largeMessages: quick ? 10 : 80,
    procs: Math.round(positive('procs', values.procs) ?? 2),
    requestsInFlight: integers('in-flight', values['in-flight']) ?? [32, 1],
    callers: Math.round(positive('callers', values.callers) ?? 4),
    missed: Math.round(positive('missed', values.missed) ?? (quick ? 2000 : 10_000)),
    recoverySubscribers: 1,
    window: values.window === undefined ? undefined : Math.round(positive('window', values.window)!),
    rate: positive('rate', values.rate) ?? 200,
    topicCounts: integers('topics', values.topics) ?? (quick ? [1, 1000] : [1, 100, 10_000, 100_000]),
    topicsSubscribers: subscribers?.[0] ?? (quick ? 100 : 1000),
    patternCounts: integers('patterns', values.patterns) ?? (quick ? [1, 1000] : [1, 100, 1000, 10_000]),
    patternsSubscribers: subscribers?.[0] ?? 100,
    idleConnections: Math.round(positive('connections', values.connections) ?? (quick ? 1000 : 5000)),
    idleWarmup: values['idle-warmup'] === '0' ? 0 : Math.round(positive('idle-warmup', values['idle-warmup']) ?? (quick ? 500 : 2000)),
    idleProcs: 4,
    codecMs: quick ? 20 : 40,
    codecRounds: Math.round(positive('codec-rounds', values['codec-rounds']) ?? (quick ? 5 : 25)),
    profile: values.profile ?? false,
    markdown: values.markdown ?? false,
    out: values.out,
  };
}
