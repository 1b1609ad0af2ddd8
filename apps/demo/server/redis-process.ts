/**
 * The cluster demo's private `redis-server`: the test kit's (`@herald/testkit/redis-server`, the
 * part of it that does not import Vitest): a free loopback port, no persistence, ended by its pid.
 * What the demo adds: when redis-server is missing, `scripts/ensure-redis.mjs` installs it (as root
 * on Debian) or says what to do; and should the demo exit without closing it, Redis goes too.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { checkBinary, startRedisServer } from '@herald/testkit/redis-server';

/** A running redis-server. */
export interface RedisProcess {
  /** `redis://127.0.0.1:PORT`. */
  readonly url: string;
  readonly pid: number | undefined;
  /** Kills it (by pid) and removes its directory. */
  close(): Promise<void>;
}

const ENSURE_SCRIPT = fileURLToPath(new URL('../../../scripts/ensure-redis.mjs', import.meta.url));

/** Starts redis-server (installing it first when missing) and resolves once it accepts connections. */
export async function startRedisProcess(): Promise<RedisProcess> {
  try {
    checkBinary();
  } catch {
    const ensured = spawnSync(process.execPath, [ENSURE_SCRIPT], { stdio: 'inherit', env: { ...process.env, REDIS_URL: '' } });
    if (ensured.status !== 0) throw new Error('redis-server is missing and could not be installed (see above)');
  }
  // `own`: a Redis of the demo's even with REDIS_URL set, for it is ended with the demo.
  const redis = await startRedisServer({ own: true });
  const orphanGuard = (): void => {
    try {
      if (redis.pid !== undefined) process.kill(redis.pid, 'SIGKILL');
    } catch {
      // it ended by itself
    }
  };
  process.once('exit', orphanGuard);
  return {
    url: redis.url,
    get pid() {
      return redis.pid;
    },
    close: async () => {
      process.off('exit', orphanGuard);
      await redis[Symbol.asyncDispose]();
    },
  };
}
