/**
 * A private Redis Sentinel setup for tests: a master, one replica and one sentinel (Debian's
 * redis-server binary run with `--sentinel`), each on a free loopback port, each ended by its pid.
 * The sentinel's periods are shortened (`SENTINEL DEBUG info-period/publish-period`) and failovers
 * are forced with `SENTINEL FAILOVER`, so a test never waits for failure detection: a failover
 * takes about a second.
 */
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RedisServer, checkBinary, freePort, launchProcess, rawCommand, startRedisServer } from './redis-server.js';

/** A master, a replica and a sentinel that watches them. Dispose it with `await using`. */
export interface RedisSentinel {
  /** The name the sentinel knows the master by (ioredis's `name`). */
  readonly name: string;
  /** The sentinel's address, as ioredis's `sentinels` option takes it. */
  readonly sentinels: Array<{ host: string; port: number }>;
  /** The servers: the first master, then its replica. */
  readonly servers: readonly [RedisServer, RedisServer];
  /** The port of the server the sentinel names as master now. */
  masterPort(): Promise<number>;
  /**
   * Forces a failover (`SENTINEL FAILOVER`, asked again while the sentinel has no replica it
   * trusts yet); resolves with the new master's port once the sentinel names it.
   */
  failover(): Promise<number>;
  /** Sends one command to the sentinel and resolves with the raw RESP reply. */
  command(...args: string[]): Promise<string>;
  /** Ends the sentinel, the replica and the master (by pid) and removes their directories. */
  [Symbol.asyncDispose](): Promise<void>;
}

export interface RedisSentinelOptions {
  /** The master's name. Default `mymaster`. */
  name?: string;
  /** How long the master may be silent before the sentinel thinks it down. Default 1,000 ms. */
  downAfterMs?: number;
  /**
   * The sentinel's hello period (`SENTINEL DEBUG publish-period`): a demoted master that still says
   * it is a master is turned into a replica 4 periods after the failover. Default 100 ms (Redis: 2,000).
   */
  publishPeriodMs?: number;
}

/** How long the helper waits for the setup to settle, or for a failover, before it gives up. */
const SETTLE_MS = 15_000;

async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + SETTLE_MS;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`startRedisSentinel: ${what} did not happen within ${SETTLE_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Starts a master, a replica of it and a sentinel watching them; resolves once the sentinel knows the replica. */
export async function startRedisSentinel(options: RedisSentinelOptions = {}): Promise<RedisSentinel> {
  checkBinary();
  const name = options.name ?? 'mymaster';
  // No 5 s wait for more replicas before a full sync (the default diskless-sync delay).
  const fastSync = ['--repl-diskless-sync-delay', '0'];
  const master = await startRedisServer({ args: fastSync });
  let replica: RedisServer | undefined;
  let sentinel: ChildProcess | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'herald-sentinel-'));
  const dispose = async (): Promise<void> => {
    if (sentinel !== undefined && sentinel.exitCode === null && sentinel.signalCode === null) {
      const exited = once(sentinel, 'exit');
      sentinel.kill('SIGKILL');
      await exited;
    }
    await replica?.[Symbol.asyncDispose]();
    await master[Symbol.asyncDispose]();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    replica = await startRedisServer({ args: [...fastSync, '--replicaof', '127.0.0.1', String(master.port)] });
    const conf = join(dir, 'sentinel.conf');
    writeFileSync(
      conf,
      [
        `sentinel monitor ${name} 127.0.0.1 ${master.port} 1`,
        `sentinel down-after-milliseconds ${name} ${options.downAfterMs ?? 1000}`,
        `sentinel failover-timeout ${name} 10000`,
        '',
      ].join('\n'),
    );
    let port = 0;
    for (let attempt = 0; sentinel === undefined; attempt++) {
      port = await freePort();
      try {
        sentinel = await launchProcess(port, [conf, '--sentinel', '--port', String(port), '--bind', '127.0.0.1', '--protected-mode', 'no', '--loglevel', 'warning', '--dir', dir]);
      } catch (error) {
        if (attempt >= 5) throw error;
      }
    }
    const command = (...args: string[]): Promise<string> => rawCommand(port, args);
    // INFO every 100 ms instead of 10 s: the sentinel learns of the replica (and trusts it for a
    // failover) at once; by default a demoted master is turned into a replica after 0.4 s, not 8 s.
    await command('SENTINEL', 'DEBUG', 'info-period', '100', 'publish-period', String(options.publishPeriodMs ?? 100));
    const replicaPort = replica.port;
    await until('the replica syncing', async () => ((await replica!.command('INFO', 'replication')).includes('master_link_status:up') ? true : undefined));
    await until('the sentinel finding the replica', async () => ((await command('INFO', 'sentinel')).includes('slaves=1') ? true : undefined));
    const masterPort = async (): Promise<number> => {
      const reply = await command('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name);
      return Number(/\$\d+\r\n(\d+)\r\n$/.exec(reply)?.[1]);
    };
    return {
      name,
      sentinels: [{ host: '127.0.0.1', port }],
      servers: [master, replica],
      masterPort,
      failover: async () => {
        const from = await masterPort();
        await until('SENTINEL FAILOVER being accepted', async () => ((await command('SENTINEL', 'FAILOVER', name)).startsWith('+OK') ? true : undefined));
        return until('the new master', async () => {
          const now = await masterPort();
          return now !== from && (now === master.port || now === replicaPort) ? now : undefined;
        });
      },
      command,
      [Symbol.asyncDispose]: dispose,
    };
  } catch (error) {
    await dispose();
    throw error;
  }
}
