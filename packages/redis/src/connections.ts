/**
 * The two Redis connections of a node: `cmd` for scripts and reads, `sub` for Pub/Sub. Both fail
 * fast while Redis is unreachable (no offline queue, no retry of a command in flight, no automatic
 * resubscribe): the engine rejects with `ENGINE_UNAVAILABLE` at once instead of replaying stale
 * publishes minutes later, and resubscribes and repairs itself when `sub` is back.
 */
import { ErrorCode, HeraldError } from '@herald/protocol';
import { Redis, type RedisOptions } from 'ioredis';

/** Reconnect delays: `minMs` plus full jitter over 50 ms doubling per attempt, at most `maxMs` in all. */
export function backoffMs(attempt: number, backoff: { minMs: number; maxMs: number }, random: () => number = Math.random): number {
  return Math.min(backoff.maxMs, backoff.minMs + Math.round(random() * 50 * 2 ** Math.min(attempt, 16)));
}

/** The ioredis options every connection of the engine uses, over the user's. */
export function connectionOptions(user: RedisOptions, backoff: { minMs: number; maxMs: number }, onRetry: (delayMs: number) => void): RedisOptions {
  return {
    // A Redis that stops answering (paused, swapping, partitioned without a reset) must not hold
    // publishes for minutes: after 5 s the call fails with ENGINE_UNAVAILABLE (its outcome is then
    // unknown: a retry with the same pid is safe).
    commandTimeout: 5000,
    // Sentinel: leave a demoted master as soon as a sentinel announces the new one (`+switch-master`)
    // instead of writing to it until the sentinels turn it into a replica: those writes are lost.
    ...(user.sentinels !== undefined && { failoverDetector: true }),
    // A server that is a replica now (a failover the connection missed): reconnect (through the
    // sentinels, to the master). The command itself failed: ENGINE_UNAVAILABLE, nothing was done.
    reconnectOnError: (error: Error) => (READ_ONLY.test(error.message) ? 1 : false),
    ...user,
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    autoResubscribe: false,
    enableAutoPipelining: true,
    retryStrategy: (attempt: number) => {
      const delay = backoffMs(attempt, backoff);
      onRetry(delay);
      return delay;
    },
  };
}

/** A connection from a URL or ioredis options (standalone, or Sentinel with `sentinels` and `name`). */
export function openRedis(url: string | undefined, options: RedisOptions): Redis {
  return url === undefined ? new Redis(options) : new Redis(url, options);
}

/** The error every call gets while Redis is unreachable. */
export function unavailable(retryAfterMs: number, cause?: unknown): HeraldError & { retryAfterMs: number } {
  const error = new HeraldError(ErrorCode.ENGINE_UNAVAILABLE, 'the router cannot reach its engine (Redis); nothing was done', {
    retryable: true,
    ...(cause !== undefined && { cause }),
  }) as HeraldError & { retryAfterMs: number };
  error.retryAfterMs = retryAfterMs;
  return error;
}

/** Errors of a server that cannot take writes now (a replica, loading, its master down): nothing was done. */
const READ_ONLY = /^(READONLY|LOADING|MASTERDOWN)\b/;

/** Whether an ioredis rejection means the connection (or a server that cannot write now), not the command, failed. */
export function isConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === 'MaxRetriesPerRequestError' || READ_ONLY.test(error.message)) return true;
  return /Connection is closed|Stream isn't writeable|enableOfflineQueue|Command timed out|ECONNRE|EPIPE|ETIMEDOUT|socket/i.test(error.message);
}
