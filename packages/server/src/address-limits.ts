/**
 * Admission per remote IP address (issue #12: one address opened all 10,000 slots in 3.5 s and
 * never said hello): how many connections an address has open, how many of them are not welcomed
 * yet, and how fast it opens new ones. The table keeps an address while it has connections, or
 * while its rate bucket is still refilling, and never more than `MAX_ADDRESSES` idle ones.
 */
import { type RateLimit, TokenBucket } from './rate-limit.js';

export interface AddressLimitOptions {
  maxConnectionsPerAddress: number;
  maxPendingPerAddress: number;
  connectionsPerAddress: RateLimit | false;
}

interface AddressState {
  open: number;
  /** Connections not welcomed yet. */
  pending: number;
  bucket: TokenBucket | undefined;
}

/** Idle addresses remembered at most (for their rate buckets). */
const MAX_ADDRESSES = 100_000;

export class AddressLimits {
  /** Least recently seen first. */
  readonly #addresses = new Map<string, AddressState>();
  /** The last key of `#addresses` (the most recently seen), when known: it needs no reordering. */
  #newest: string | undefined;

  constructor(
    readonly options: AddressLimitOptions,
    readonly now: () => number = () => Date.now(),
  ) {}

  /** Admits a new connection from `address`, or returns why not (nothing is counted then). */
  admit(address: string): string | undefined {
    const addresses = this.#addresses;
    let state: AddressState | undefined;
    // The only address known, and so the most recent: nothing to prune or reorder (the common case
    // behind a proxy, and a reconnect storm from a few load balancers).
    if (addresses.size === 1 && address === this.#newest) state = addresses.get(address)!;
    else {
      this.#prune();
      state = addresses.get(address);
      if (state === undefined) addresses.set(address, (state = { open: 0, pending: 0, bucket: undefined }));
      else if (address !== this.#newest) {
        addresses.delete(address); // re-inserted: most recently seen last
        addresses.set(address, state);
      }
      this.#newest = address;
    }
    const { maxConnectionsPerAddress, maxPendingPerAddress, connectionsPerAddress } = this.options;
    if (state.open >= maxConnectionsPerAddress) return `at most ${maxConnectionsPerAddress} connections per address`;
    if (state.pending >= maxPendingPerAddress) return `at most ${maxPendingPerAddress} connections per address waiting for their hello`;
    if (connectionsPerAddress !== false) {
      state.bucket ??= new TokenBucket(connectionsPerAddress, this.now);
      const wait = state.bucket.take();
      if (wait > 0) return `connecting too fast from this address; retry in ${wait} ms`;
    }
    state.open++;
    state.pending++;
    return undefined;
  }

  /** The connection from `address` was welcomed. */
  welcomed(address: string): void {
    const state = this.#addresses.get(address);
    if (state !== undefined && state.pending > 0) state.pending--;
  }

  /** A connection admitted from `address` closed; `pending` when it was never welcomed. */
  closed(address: string, pending: boolean): void {
    const state = this.#addresses.get(address);
    if (state === undefined) return;
    state.open--;
    if (pending && state.pending > 0) state.pending--;
  }

  /** Addresses remembered (with connections, or a bucket still refilling). */
  get size(): number {
    return this.#addresses.size;
  }

  /** Forgets up to two idle addresses whose bucket is full again, and the oldest idle past the cap. */
  #prune(): void {
    let budget = 2;
    for (const [address, state] of this.#addresses) {
      if (budget-- === 0) break;
      if (state.open > 0) {
        // In use: to the back of the line, so that idle ones behind it are reached.
        if (address !== this.#newest) {
          this.#addresses.delete(address);
          this.#addresses.set(address, state);
          this.#newest = address;
        }
        continue;
      }
      if (state.bucket === undefined || state.bucket.tokens >= state.bucket.limit.burst || this.#addresses.size > MAX_ADDRESSES) {
        this.#addresses.delete(address);
        if (address === this.#newest) this.#newest = undefined;
      }
    }
  }
}
