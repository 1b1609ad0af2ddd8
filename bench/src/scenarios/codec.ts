/**
 * Codec micro-benchmark, in this process: encode and decode of a plain and a rich payload with
 * `JSON.stringify/parse`, Herald's `superjsonCodec.encode/decode` (which checks payloads before
 * decoding and skips superjson for plain values) and raw `superjson.stringify/parse`.
 * JSON is lossy on the rich payload (the Date becomes a string, the Map and Set become `{}`).
 */
import { superjsonCodec } from '@herald/protocol';
import superjson from 'superjson';
import type { Measurement, RunContext } from '../context.js';
import type { SystemName } from '../systems/system.js';

interface Implementation {
  /** The column it is shown in: the system that uses this codec. */
  system: SystemName;
  name: string;
  encode(value: unknown): string;
  decode(text: string): unknown;
}

const IMPLEMENTATIONS: Implementation[] = [
  {
    system: 'herald',
    name: 'superjsonCodec',
    encode: (value) => superjsonCodec.encode(value),
    decode: (text) => {
      const result = superjsonCodec.decode(text);
      if (!result.ok) throw result.error;
      return result.value;
    },
  },
  { system: 'ws-json', name: 'JSON', encode: (value) => JSON.stringify(value), decode: (text) => JSON.parse(text) },
  { system: 'ws-superjson', name: 'superjson', encode: (value) => superjson.stringify(value), decode: (text) => superjson.parse(text) },
];

const TEXT = 'The quick brown fox jumps over the lazy dog. '.repeat(3);

/** About 200 bytes of JSON each. */
const PAYLOADS: Record<string, unknown> = {
  plain: { seq: 4711, user: 'kirk', text: TEXT.slice(0, 100), tags: ['bridge', 'captain'], score: 21.5, ok: true },
  rich: {
    seq: 4711,
    at: new Date(1_795_341_600_000),
    user: 'kirk',
    text: TEXT.slice(0, 60),
    tags: new Set(['bridge', 'captain']),
    scores: new Map([
      ['kirk', 21.5],
      ['spock', 22],
    ]),
  },
};

let sink: unknown;

/**
 * Operations per CPU second of `fn` (this process's user + system time, so that other processes on
 * a busy machine cost it little): warm up for `warmupMs` (superjson needs a few hundred
 * milliseconds to reach its steady speed), then the best of three rounds of `ms` each.
 */
function opsPerCpuSecond(fn: () => unknown, warmupMs: number, ms: number): number {
  const batch = 64;
  const warmEnd = performance.now() + warmupMs;
  while (performance.now() < warmEnd) for (let i = 0; i < batch; i++) sink = fn();
  let best = 0;
  for (let round = 0; round < 3; round++) {
    let ops = 0;
    const start = performance.now();
    const cpu = process.cpuUsage();
    while (performance.now() - start < ms) {
      for (let i = 0; i < batch; i++) sink = fn();
      ops += batch;
    }
    const used = process.cpuUsage(cpu);
    best = Math.max(best, ops / ((used.user + used.system) / 1e6));
  }
  return best;
}

export function runCodec(ctx: RunContext): Measurement[] {
  const measurements: Measurement[] = [];
  const warmupMs = Math.max(150, ctx.options.codecMs);
  for (const [kind, value] of Object.entries(PAYLOADS)) {
    for (const implementation of IMPLEMENTATIONS) {
      const encoded = implementation.encode(value);
      implementation.decode(encoded); // throws if this codec cannot read its own output
      ctx.log(`codec ${kind}: ${implementation.name} (${encoded.length} B)`);
      measurements.push({
        scenario: 'codec',
        case: `${kind} (${kind === 'plain' ? 'no rich types' : 'Date, Map, Set'})`,
        system: implementation.system,
        figures: {
          encodeOps: opsPerCpuSecond(() => implementation.encode(value), warmupMs, ctx.options.codecMs),
          decodeOps: opsPerCpuSecond(() => implementation.decode(encoded), warmupMs, ctx.options.codecMs),
        },
        details: { implementation: implementation.name, encodedBytes: encoded.length },
      });
    }
  }
  if (sink === Symbol.for('never')) console.log(sink); // keeps the results alive for the optimizer
  return measurements;
}
