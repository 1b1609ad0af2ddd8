/**
 * The cluster demo's private `redis-server`: started on a free loopback port with no persistence,
 * ended by its pid. When redis-server is missing, `scripts/ensure-redis.mjs` installs it (as root on
 * Debian) or says what to do.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A running redis-server. */
export interface RedisProcess {
  /** `redis://127.0.0.1:PORT`. */
  readonly url: string;
  readonly pid: number | undefined;
  /** Kills it (by pid) and removes its directory. */
  close(): Promise<void>;
}

const ENSURE_SCRIPT = fileURLToPath(new URL('../../../scripts/ensure-redis.mjs', import.meta.url));
const BINARY = process.env.REDIS_SERVER ?? 'redis-server';

/** Starts redis-server (installing it first when missing) and resolves once it accepts connections. */
export async function startRedisProcess(): Promise<RedisProcess> {
  if (spawnSync(BINARY, ['--version'], { stdio: 'ignore' }).status !== 0) {
    const ensured = spawnSync(process.execPath, [ENSURE_SCRIPT], { stdio: 'inherit', env: { ...process.env, REDIS_URL: '' } });
    if (ensured.status !== 0) throw new Error('redis-server is missing and could not be installed (see above)');
  }
  const dir = mkdtempSync(join(tmpdir(), 'herald-demo-redis-'));
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const child = spawn(BINARY, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    if (await ready(child)) {
      child.stdout?.resume();
      // Should the demo die without closing, Redis goes with it.
      const orphanGuard = () => child.kill('SIGKILL');
      process.once('exit', orphanGuard);
      return {
        url: `redis://127.0.0.1:${port}`,
        pid: child.pid,
        close: async () => {
          process.off('exit', orphanGuard);
          if (child.exitCode === null && child.signalCode === null) {
            const exit = once(child, 'exit');
            child.kill('SIGKILL');
            await exit;
          }
          rmSync(dir, { recursive: true, force: true });
        },
      };
    }
    if (attempt >= 4) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error('redis-server did not start');
    }
  }
}

/** Resolves true when redis logs that it is ready, false when it exits first (a taken port). */
function ready(child: ChildProcess): Promise<boolean> {
  return new Promise((resolve) => {
    let seen = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      seen += chunk.toString('utf8');
      if (seen.includes('Ready to accept connections')) resolve(true);
    });
    child.once('exit', () => resolve(false));
    child.once('error', () => resolve(false));
  });
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}
