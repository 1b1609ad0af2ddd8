/**
 * Reconnect delay with exponential backoff and full jitter: a uniformly random delay between 0 and
 * `min(maxMs, minMs × 2^attempt)`. Full jitter spreads the clients of a restarting router over
 * the whole window instead of bringing them back together (AWS Architecture Blog, "Exponential
 * Backoff And Jitter").
 *
 * @param attempt 0 for the first retry.
 * @param random a source of numbers in [0, 1); `Math.random` by default.
 */
export function backoffDelay(attempt: number, minMs: number, maxMs: number, random: () => number = Math.random): number {
  const cap = Math.min(maxMs, minMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * cap);
}
