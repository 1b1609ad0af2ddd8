/**
 * For tests: the code of the `HeraldError` a call throws. A test-support file: the package's build
 * and its published files leave it out, as they leave out the tests.
 */
import { expect } from 'vitest';
import { HeraldError } from './errors.js';

/** The `code` of the HeraldError `run` throws (any other error fails the test); undefined when it returns. */
export function codeOf(run: () => unknown): string | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(HeraldError);
    return (error as HeraldError).code;
  }
}
