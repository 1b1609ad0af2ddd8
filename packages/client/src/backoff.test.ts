/**
 * The reconnect delay: exponential backoff with full jitter,
 * `floor(random() × min(maxMs, minMs × 2^attempt))` (PROTOCOL.md §8, "Reconnect").
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffDelay } from './backoff.js';

/** The largest double below 1: what `Math.random()` can return at most. */
const ALMOST_ONE = 1 - Number.EPSILON / 2;

describe('backoffDelay', () => {
  it('is 0 for every attempt when random() returns 0', () => {
    for (const attempt of [0, 1, 2, 5, 10, 30, 31, 100, 10_000]) {
      expect(backoffDelay(attempt, 500, 10_000, () => 0)).toBe(0);
    }
  });

  it('with random() just below 1, the window doubles per attempt (500, 1000, 2000, …) up to maxMs, never reaching it', () => {
    const delays = Array.from({ length: 8 }, (_, attempt) => backoffDelay(attempt, 500, 10_000, () => ALMOST_ONE));
    expect(delays).toStrictEqual([499, 999, 1999, 3999, 7999, 9999, 9999, 9999]);
  });

  it('is floor(random() × window) inside the window: 0.5 gives half of each cap', () => {
    const delays = Array.from({ length: 6 }, (_, attempt) => backoffDelay(attempt, 1000, 8000, () => 0.5));
    expect(delays).toStrictEqual([500, 1000, 2000, 4000, 4000, 4000]);
    expect(backoffDelay(0, 1000, 8000, () => 0.2501)).toBe(250);
  });

  it('calls random() exactly once per delay', () => {
    let calls = 0;
    const random = (): number => {
      calls++;
      return 0.25;
    };
    expect(backoffDelay(3, 100, 10_000, random)).toBe(200);
    expect(calls).toBe(1);
  });

  it('minMs = maxMs is a fixed window: every attempt waits below it', () => {
    for (const attempt of [0, 1, 7, 50]) expect(backoffDelay(attempt, 250, 250, () => ALMOST_ONE)).toBe(249);
  });

  it('huge attempt numbers do not overflow: the window is maxMs, the delay finite', () => {
    for (const attempt of [31, 64, 1023, 1024, 1_000_000, Number.MAX_SAFE_INTEGER, Number.POSITIVE_INFINITY]) {
      const high = backoffDelay(attempt, 500, 10_000, () => ALMOST_ONE);
      expect(high).toBe(9999);
      expect(backoffDelay(attempt, 500, 10_000, () => 0.5)).toBe(5000);
    }
    // A large minimum with a large attempt: still capped, still a safe integer.
    const big = backoffDelay(2_000, 1e12, Number.MAX_SAFE_INTEGER, () => 0.5);
    expect(Number.isSafeInteger(big)).toBe(true);
    expect(big).toBe(Math.floor(0.5 * Number.MAX_SAFE_INTEGER));
  });

  it('property: an integer in [0, min(maxMs, minMs × 2^attempt)), equal to floor(random × that window)', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: 100_000 }),
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.integer({ min: 0, max: 10_000_000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (attempt, minMs, extra, r) => {
          const maxMs = minMs + extra;
          const window = Math.min(maxMs, minMs * 2 ** Math.min(attempt, 60));
          const delay = backoffDelay(attempt, minMs, maxMs, () => r);
          expect(Number.isInteger(delay)).toBe(true);
          expect(delay).toBeGreaterThanOrEqual(0);
          expect(delay).toBeLessThan(window);
          expect(delay).toBeLessThan(maxMs);
          expect(delay).toBe(Math.floor(r * window));
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it('property: for a fixed random, the delay never shrinks from one attempt to the next', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: 200 }),
        fc.integer({ min: 1, max: 100_000 }),
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (attempt, minMs, extra, r) => {
          const maxMs = minMs + extra;
          expect(backoffDelay(attempt + 1, minMs, maxMs, () => r)).toBeGreaterThanOrEqual(backoffDelay(attempt, minMs, maxMs, () => r));
        },
      ),
      { numRuns: 1_000 },
    );
  });
});
