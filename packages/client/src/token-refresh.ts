/**
 * In-band token refresh: before the router's `expiresAt` (from `welcome` or `refreshed`), the
 * client calls its token function again and sends `refresh`, so the connection never drops for an
 * expired token. A refresh that fails is reported; the router then closes the connection at expiry
 * (4101) and the client reconnects with a fresh token.
 */
import type { ServerMessage } from '@herald/protocol';

export interface TokenRefreshIO {
  /** Sends `refresh {id, token}` and resolves with the router's reply. */
  request(token: string): Promise<ServerMessage>;
  report(error: unknown): void;
}

/** Refresh this long before expiry: 30 s, or half the lifetime when that is shorter. */
export function refreshDelay(expiresAt: number, now: number): number {
  const lifetime = expiresAt - now;
  return Math.max(0, lifetime - Math.min(30_000, lifetime / 2));
}

export class TokenRefresh {
  readonly #token: () => string | Promise<string>;
  readonly #io: TokenRefreshIO;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(token: () => string | Promise<string>, io: TokenRefreshIO) {
    this.#token = token;
    this.#io = io;
  }

  /** The credentials expire at `expiresAt` (ms since the Unix epoch; undefined: never). */
  schedule(expiresAt: number | undefined): void {
    this.stop();
    if (expiresAt === undefined) return;
    this.#timer = setTimeout(() => void this.#refresh(), refreshDelay(expiresAt, Date.now()));
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  async #refresh(): Promise<void> {
    this.#timer = undefined;
    try {
      const reply = await this.#io.request(await this.#token());
      if (reply.type === 'refreshed') this.schedule(reply.expiresAt);
    } catch (error) {
      this.#io.report(error);
    }
  }
}
