import { describe, expect, it } from 'vitest';
import { REPAIR_RETRY_MAX_MS, REPAIR_RETRY_MIN_MS, repairRetryDelay } from './presence-repair.js';

describe('repairRetryDelay', () => {
  it('draws in the upper half of a ceiling that doubles from 1 s to 30 s', () => {
    const ceilings = [1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000];
    expect(ceilings.map((_, i) => repairRetryDelay(i + 1, () => 0))).toEqual(ceilings.map((c) => c / 2));
    expect(ceilings.map((_, i) => repairRetryDelay(i + 1, () => 1))).toEqual(ceilings);
    expect(repairRetryDelay(1, () => 0.5)).toBe(750);
  });

  it('stays within its bounds for any count of failures', () => {
    for (const failures of [0, 1, 2, 5, 31, 1000, Number.MAX_SAFE_INTEGER]) {
      const delay = repairRetryDelay(failures);
      expect(delay).toBeGreaterThanOrEqual(REPAIR_RETRY_MIN_MS / 2);
      expect(delay).toBeLessThanOrEqual(REPAIR_RETRY_MAX_MS);
    }
  });
});
