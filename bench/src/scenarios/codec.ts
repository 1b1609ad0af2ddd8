/**
 * Codec micro-benchmark, in this process: encode and decode of plain and rich payloads of 200 B,
 * 10 KB and 1 MB with
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

/** One record of each kind, about 200 bytes of JSON. */
const RECORDS = {
  plain: (i: number): unknown => ({ seq: 4711 + i, user: 'kirk', text: TEXT.slice(0, 100), tags: ['bridge', 'captain'], score: 21.5, ok: true }),
  rich: (i: number): unknown => ({
    seq: 4711 + i,
    at: new Date(1_795_341_600_000 + i),
    user: 'kirk',
    text: TEXT.slice(0, 60),
    tags: new Set(['bridge', 'captain']),
    scores: new Map([
      ['kirk', 21.5],
      ['spock', 22],
    ]),
  }),
};

/** The sizes of the scenario (JSON bytes, about): one record, then arrays of records. */
const SIZES = [200, 10_000, 1_000_000];

/** A payload of `kind` about `bytes` long as plain JSON: one record, or an array of records. */
function payloadOf(kind: keyof typeof RECORDS, bytes: number): unknown {
  const one = RECORDS[kind](0);
  if (bytes <= 200) return one;
  const count = Math.max(1, Math.round(bytes / JSON.stringify(one).length));
  return { items: Array.from({ length: count }, (_, i) => RECORDS[kind](i)) };
}

const sizeLabel = (bytes: number): string => (bytes >= 1_000_000 ? `${bytes / 1_000_000} MB` : bytes >= 1000 ? `${bytes / 1000} KB` : `${bytes} B`);

let sink: unknown;

/**
 * Operations per CPU second of `fn` (this process's user + system time, so that other processes on
 * a busy machine cost it little): warm up for `warmupMs` (superjson needs a few hundred
 * milliseconds to reach its steady speed), then the best of three rounds of `ms` each.
 */
function opsPerCpuSecond(fn: () => unknown, warmupMs: number, ms: number, batch: number): number {
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
  for (const bytes of SIZES) {
    for (const kind of ['plain', 'rich'] as const) {
      const value = payloadOf(kind, bytes);
      // Batches of about 13 KB of work, so that a round of big payloads still ends on time.
      const batch = Math.max(1, Math.round(12_800 / bytes));
      for (const implementation of IMPLEMENTATIONS) {
        const encoded = implementation.encode(value);
        implementation.decode(encoded); // throws if this codec cannot read its own output
        ctx.log(`codec ${kind} ${sizeLabel(bytes)}: ${implementation.name} (${encoded.length} B)`);
        measurements.push({
          scenario: 'codec',
          case: `${kind} ${sizeLabel(bytes)} (${kind === 'plain' ? 'no rich types' : 'Date, Map, Set'})`,
          system: implementation.system,
          figures: {
            encodeOps: opsPerCpuSecond(() => implementation.encode(value), warmupMs, ctx.options.codecMs, batch),
            decodeOps: opsPerCpuSecond(() => implementation.decode(encoded), warmupMs, ctx.options.codecMs, batch),
          },
          details: { implementation: implementation.name, encodedBytes: encoded.length },
        });
      }
    }
  }
  if (sink === Symbol.for('never')) console.log(sink); // keeps the results alive for the optimizer
  return measurements;
}
