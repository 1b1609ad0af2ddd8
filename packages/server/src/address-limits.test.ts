import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AddressLimits, type AddressLimitOptions } from './address-limits.js';
import { TokenBucket } from './rate-limit.js';

/**
 * The table as it was before it skipped reordering its most recent address (a Map moved to the
 * back on every admit and every prune visit): the new one must admit, refuse and forget exactly as
 * it did.
 */
class ReferenceLimits {
  readonly #addresses = new Map<string, { open: number; pending: number; bucket: TokenBucket | undefined }>();
  constructor(
    readonly options: AddressLimitOptions,
    readonly now: () => number,
    readonly maxAddresses: number,
  ) {}

  admit(address: string): string | undefined {
    let budget = 2;
    for (const [known, state] of this.#addresses) {
      if (budget-- === 0) break;
      if (state.open > 0) {
        this.#addresses.delete(known);
        this.#addresses.set(known, state);
        continue;
      }
      if (state.bucket === undefined || state.bucket.tokens >= state.bucket.limit.burst || this.#addresses.size > this.maxAddresses) this.#addresses.delete(known);
    }
    let state = this.#addresses.get(address);
    if (state === undefined) state = { open: 0, pending: 0, bucket: undefined };
    else this.#addresses.delete(address);
    this.#addresses.set(address, state);
    const { maxConnectionsPerAddress, maxPendingPerAddress, connectionsPerAddress } = this.options;
    if (state.open >= maxConnectionsPerAddress) return 'open';
    if (state.pending >= maxPendingPerAddress) return 'pending';
    if (connectionsPerAddress !== false) {
      state.bucket ??= new TokenBucket(connectionsPerAddress, this.now);
      if (state.bucket.take() > 0) return 'rate';
    }
    state.open++;
    state.pending++;
    return undefined;
  }

  welcomed(address: string): void {
    const state = this.#addresses.get(address);
    if (state !== undefined && state.pending > 0) state.pending--;
  }

  closed(address: string, pending: boolean): void {
    const state = this.#addresses.get(address);
    if (state === undefined) return;
    state.open--;
    if (pending && state.pending > 0) state.pending--;
  }

  get size(): number {
    return this.#addresses.size;
  }
}

type Step = { admit: string } | { welcome: number } | { close: number } | { wait: number };

const kindOf = (refusal: string | undefined): string | undefined =>
  refusal === undefined ? undefined : refusal.includes('waiting') ? 'pending' : refusal.includes('too fast') ? 'rate' : 'open';

describe('AddressLimits', () => {
  it('admits, refuses and forgets addresses as the table that reordered on every admit did', () => {
    fc.assert(
      fc.property(
        fc.record({
          maxConnectionsPerAddress: fc.integer({ min: 1, max: 4 }),
          maxPendingPerAddress: fc.integer({ min: 1, max: 4 }),
          connectionsPerAddress: fc.oneof(fc.constant(false as const), fc.record({ perSec: fc.integer({ min: 1, max: 5 }), burst: fc.integer({ min: 1, max: 4 }) })),
        }),
        fc.array(
          fc.oneof(
            fc.record({ admit: fc.constantFrom('a', 'b', 'c') }),
            fc.record({ welcome: fc.nat() }),
            fc.record({ close: fc.nat() }),
            fc.record({ wait: fc.integer({ min: 0, max: 2000 }) }),
          ) as fc.Arbitrary<Step>,
          { maxLength: 80 },
        ),
        (options, steps) => {
          let time = 0;
          const now = (): number => time;
          const limits = new AddressLimits(options, now);
          const reference = new ReferenceLimits(options, now, 100_000);
          const open: Array<{ address: string; welcomed: boolean }> = [];
          for (const step of steps) {
            if ('admit' in step) {
              const refusal = limits.admit(step.admit);
              expect(kindOf(refusal)).toBe(reference.admit(step.admit));
              if (refusal === undefined) open.push({ address: step.admit, welcomed: false });
            } else if ('welcome' in step) {
              const connection = open.filter((one) => !one.welcomed)[step.welcome % Math.max(1, open.length)];
              if (connection === undefined) continue;
              connection.welcomed = true;
              limits.welcomed(connection.address);
              reference.welcomed(connection.address);
            } else if ('close' in step) {
              if (open.length === 0) continue;
              const [connection] = open.splice(step.close % open.length, 1);
              limits.closed(connection!.address, !connection!.welcomed);
              reference.closed(connection!.address, !connection!.welcomed);
            } else time += step.wait;
            expect(limits.size).toBe(reference.size);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
