/**
 * Codec micro-benchmark, in this process: encode and decode of plain and rich payloads of 200 B,
 * 10 KB and 1 MB with
 * `JSON.stringify/parse`, Herald's `superjsonCodec.encode/decode` (which checks payloads before
 * decoding and skips superjson for plain values) and raw `superjson.stringify/parse`.
 * JSON is lossy on the rich payload (the Date becomes a string, the Map and Set become `{}`).
 * Each implementation decodes its own encoding (Herald's and superjson's bytes are the same).
 *
 * What is timed: `encode(value)` and `decode(text)` through the same call site for every
 * implementation, in interleaved rounds (see measureInterleaved); each figure is the median of its
 * slices, and Herald's ratio to superjson is also given round by round (median and quartiles of
 * the per-round ratios), which a change of load over the run does not skew.
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

/** What is timed, per implementation: one op runs `encode(value)` or `decode(encoded)`. */
type Operation = 'encode' | 'decode';

/** One cell of the interleaved measurement: an implementation's encode or decode of one payload. */
interface Cell {
  implementation: Implementation;
  operation: Operation;
  run: () => unknown;
  /** Ops per CPU second of each measured slice, in round order. */
  slices: number[];
}

/**
 * Runs `run` in batches until `ms` of wall time have passed (at least one batch), and returns its
 * ops per CPU second: this process's user + system time, so that other processes on a busy machine
 * cost it little (the total is exact on Linux; it includes V8's GC helper threads).
 */
function slice(run: () => unknown, ms: number, batch: number): number {
  let ops = 0;
  const start = performance.now();
  const cpu = process.cpuUsage();
  do {
    for (let i = 0; i < batch; i++) sink = run();
    ops += batch;
  } while (performance.now() - start < ms);
  const used = process.cpuUsage(cpu);
  return ops / (Math.max(1, used.user + used.system) / 1e6);
}

/** The `q` quantile of `values`, interpolated between the two nearest ranks. */
function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (sorted.length - 1) * q;
  const below = Math.floor(at);
  return sorted[below]! + (sorted[Math.min(below + 1, sorted.length - 1)]! - sorted[below]!) * (at - below);
}

const median = (values: readonly number[]): number => quantile(values, 0.5);

/**
 * Interleaved rounds: every round times one slice of every cell (each implementation's encode,
 * then each one's decode), in an order that rotates and reverses from round to round, so that a
 * change of load, CPU frequency or GC state over the run falls on every implementation alike and
 * no one always follows the same neighbour. Each cell is first warmed up in the same interleaved
 * way (superjson needs a few hundred milliseconds to reach its steady speed). A cell's figure is
 * the median of its slices.
 */
function measureInterleaved(cells: Cell[], rounds: number, sliceMs: number, warmupMs: number, batch: number): void {
  const order = (round: number): Cell[] => {
    const rotated = cells.map((_, i) => cells[(i + round) % cells.length]!);
    return round % 2 === 1 ? rotated.reverse() : rotated;
  };
  const warmSlices = Math.max(1, Math.round(warmupMs / sliceMs));
  for (let round = 0; round < warmSlices; round++) for (const cell of order(round)) slice(cell.run, sliceMs, batch);
  for (let round = 0; round < rounds; round++) for (const cell of order(round)) cell.slices.push(slice(cell.run, sliceMs, batch));
}

export function runCodec(ctx: RunContext): Measurement[] {
  const measurements: Measurement[] = [];
  const { codecRounds: rounds } = ctx.options;
  for (const bytes of SIZES) {
    // Slices of 1 MB payloads are three times longer: a decode allocates ~5 MB, and a slice must
    // span enough of the collections that follow for its slices to agree.
    const sliceMs = ctx.options.codecMs * (bytes >= 1_000_000 ? 3 : 1);
    const warmupMs = 5 * sliceMs;
    for (const kind of ['plain', 'rich'] as const) {
      const value = payloadOf(kind, bytes);
      // Batches of about 13 KB of work, so that a slice of big payloads still ends on time.
      const batch = Math.max(1, Math.round(12_800 / bytes));
      const cells: Cell[] = [];
      const encodedBytes = new Map<Implementation, number>();
      for (const operation of ['encode', 'decode'] as const) {
        for (const implementation of IMPLEMENTATIONS) {
          const encoded = implementation.encode(value);
          encodedBytes.set(implementation, encoded.length);
          if (operation === 'decode') implementation.decode(encoded); // throws if this codec cannot read its own output
          const run = operation === 'encode' ? () => implementation.encode(value) : () => implementation.decode(encoded);
          cells.push({ implementation, operation, run, slices: [] });
        }
      }
      ctx.log(`codec ${kind} ${sizeLabel(bytes)}: ${IMPLEMENTATIONS.map((i) => `${i.name} ${encodedBytes.get(i)} B`).join(', ')}; ${rounds} interleaved rounds of ${sliceMs} ms slices`);
      measureInterleaved(cells, rounds, sliceMs, warmupMs, batch);
      const slicesOf = (implementation: Implementation, operation: Operation): number[] =>
        cells.find((c) => c.implementation === implementation && c.operation === operation)!.slices;
      const superjsonImplementation = IMPLEMENTATIONS.find((i) => i.system === 'ws-superjson')!;
      for (const implementation of IMPLEMENTATIONS) {
        const figures: Record<string, number> = {
          encodeOps: median(slicesOf(implementation, 'encode')),
          decodeOps: median(slicesOf(implementation, 'decode')),
        };
        if (implementation.system === 'herald') {
          // Herald ÷ superjson round by round: the two slices of a round ran close together, so a
          // change of load over the run cancels out of their ratio (the medians above do not pair).
          for (const operation of ['encode', 'decode'] as const) {
            const theirs = slicesOf(superjsonImplementation, operation);
            const ratios = slicesOf(implementation, operation).map((ops, round) => ops / theirs[round]!);
            figures[`${operation}VsSuperjson`] = median(ratios);
            figures[`${operation}VsSuperjsonP25`] = quantile(ratios, 0.25);
            figures[`${operation}VsSuperjsonP75`] = quantile(ratios, 0.75);
          }
        }
        measurements.push({
          scenario: 'codec',
          case: `${kind} ${sizeLabel(bytes)} (${kind === 'plain' ? 'no rich types' : 'Date, Map, Set'})`,
          system: implementation.system,
          figures,
          details: {
            implementation: implementation.name,
            encodedBytes: encodedBytes.get(implementation),
            rounds,
            sliceMs,
            encodeOpsPerSlice: slicesOf(implementation, 'encode').map(Math.round),
            decodeOpsPerSlice: slicesOf(implementation, 'decode').map(Math.round),
          },
        });
      }
    }
  }
  if (sink === Symbol.for('never')) console.log(sink); // keeps the results alive for the optimizer
  return measurements;
}
