import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffMs, isConnectionError, unavailable } from './connections.js';

describe('backoffMs', () => {
  it('stays within [minMs, maxMs] and never below the floor, whatever the attempt and the draw', () => {
    fc.assert(
      fc.property(fc.nat(1000), fc.integer({ min: 0, max: 500 }), fc.integer({ min: 500, max: 60_000 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (attempt, minMs, maxMs, draw) => {
        const delay = backoffMs(attempt, { minMs, maxMs }, () => draw);
        expect(delay).toBeGreaterThanOrEqual(minMs);
        expect(delay).toBeLessThanOrEqual(maxMs);
      }),
    );
  });

  it('grows with the attempt (at the top of the jitter)', () => {
    const top = (attempt: number): number => backoffMs(attempt, { minMs: 10, maxMs: 2000 }, () => 0.999);
    expect([1, 2, 3, 4, 5, 6].map(top)).toEqual([110, 210, 410, 809, 1608, 2000]);
  });
});

describe('unavailable', () => {
  it('is a retryable ENGINE_UNAVAILABLE with its retryAfterMs', () => {
    const error = unavailable(250);
    expect(error).toMatchObject({ code: 'ENGINE_UNAVAILABLE', retryable: true, retryAfterMs: 250 });
  });

  it('tells connection failures (and a server that cannot write now) from command errors', () => {
    expect(isConnectionError(new Error("Stream isn't writeable and enableOfflineQueue options is false"))).toBe(true);
    expect(isConnectionError(new Error('Command timed out'))).toBe(true);
    expect(isConnectionError(Object.assign(new Error('x'), { name: 'MaxRetriesPerRequestError' }))).toBe(true);
    expect(isConnectionError(new Error("READONLY You can't write against a read only replica."))).toBe(true);
    expect(isConnectionError(new Error('LOADING Redis is loading the dataset in memory'))).toBe(true);
    expect(isConnectionError(new Error('ERR wrong number of arguments'))).toBe(false);
    expect(isConnectionError('not an error')).toBe(false);
  });
});
