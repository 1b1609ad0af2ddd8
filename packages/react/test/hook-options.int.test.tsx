// @vitest-environment happy-dom
/**
 * `useSubscription` refuses a `keep` outside 0..MAX_KEEP with `OPTION_INVALID` from the render
 * (it was a RangeError without a code). No provider: the check comes before the client is read.
 */
import { HeraldError } from '@herald/protocol';
import { expectError, optionCases, optionsAt } from '@herald/testkit';
import { cleanup, renderHook } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SUBSCRIPTION_HOOK_OPTION_RANGES, useSubscription } from '../src/index.js';

afterEach(() => {
  cleanup();
  vi.restoreAllMocks();
});

function renderError(options: Record<string, unknown>): unknown {
  try {
    renderHook(() => useSubscription('sensors.*.temp', options));
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('useSubscription option ranges', () => {
  it.each(optionCases(SUBSCRIPTION_HOOK_OPTION_RANGES).map((c) => [c.path, c] as const))('%s: both ends render idle, out of range throws OPTION_INVALID', (path, { accepted, refused }) => {
    vi.spyOn(console, 'error').mockImplementation(() => {}); // React reports the render error too
    for (const value of accepted) {
      const { result } = renderHook(() => useSubscription('sensors.*.temp', optionsAt(SUBSCRIPTION_HOOK_OPTION_RANGES, path, value)));
      expect(result.current.state).toBe('idle');
    }
    for (const value of refused) expectError(renderError(optionsAt(SUBSCRIPTION_HOOK_OPTION_RANGES, path, value)), HeraldError, 'OPTION_INVALID');
  });
});
