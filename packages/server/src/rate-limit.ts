/**
 * Token buckets: a bucket holds up to `burst` tokens and gains `perSec` a second; an action takes
 * its cost in tokens or is refused with the time until it would fit. In memory, one per limit per
 * connection (or address): a few numbers each, no timers.
 */

/** A rate: `perSec` on average, up to `burst` at once. */
export interface RateLimit {
  /** Tokens gained per second. */
  perSec: number;
  /** Most tokens held, so most actions at once; a bucket starts full. */
  burst: number;
}

/** `Date.now`, as one shared function (a default of `() => Date.now()` is a new closure per object). */
export const dateNow = (): number => Date.now();

export class TokenBucket {
  #tokens: number;
  #at: number;

  constructor(
    readonly limit: RateLimit,
    readonly now: () => number = dateNow,
  ) {
    this.#tokens = limit.burst;
    this.#at = now();
  }

  /**
   * Takes `cost` tokens. Returns 0 when taken, otherwise the milliseconds until `cost` tokens will
   * be there (nothing is taken then). A cost above `burst` is taken once the bucket is full, leaving
   * it in debt, so that one large action is possible but pays for its size.
   */
  take(cost = 1): number {
    this.#refill();
    const needed = Math.min(cost, this.limit.burst);
    if (this.#tokens >= needed) {
      this.#tokens -= cost;
      return 0;
    }
    return Math.max(1, Math.ceil(((needed - this.#tokens) * 1000) / this.limit.perSec));
  }

  /** Tokens held now. */
  get tokens(): number {
    this.#refill();
    return this.#tokens;
  }

  #refill(): void {
    const now = this.now();
    const elapsed = now - this.#at;
    this.#at = now;
    if (elapsed > 0) this.#tokens = Math.min(this.limit.burst, this.#tokens + (elapsed * this.limit.perSec) / 1000);
  }
}
