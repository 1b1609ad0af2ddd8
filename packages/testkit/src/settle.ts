import { vi } from 'vitest';

/** Node's own timers, taken before any test fakes them: real turns of the event loop. */
const realSetImmediate = globalThis.setImmediate;
const realSetTimeout = globalThis.setTimeout;
/** One turn; after the first hundred, a 1 ms one, for slower real work (a module loaded on first use). */
const turn = (step: number): Promise<void> =>
  new Promise((resolve) => (step < 100 ? realSetImmediate(resolve) : realSetTimeout(resolve, 1)));

/**
 * Under `vi.useFakeTimers()`: runs the timers that are due, a 0 ms step at a time (so in-memory
 * frames and what they trigger go through), until `promise` settles, then returns its value. Each
 * step also lets the event loop turn once (I/O callbacks; a module the client loads on first use),
 * but no fake time passes beyond what is due. Fails after `maxSteps` steps rather than hanging.
 */
export async function settle<T>(promise: Promise<T>, maxSteps = 1000): Promise<T> {
  let done = false;
  const tracked = promise.finally(() => (done = true));
  tracked.catch(() => undefined);
  for (let step = 0; step < maxSteps && !done; step++) {
    await vi.advanceTimersByTimeAsync(0);
    if (!done) await turn(step);
  }
  if (!done) throw new Error(`settle: the promise did not settle within ${maxSteps} timer steps`);
  return tracked;
}
