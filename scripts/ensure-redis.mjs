#!/usr/bin/env node
// The Redis engine's tests run against a real redis-server (they start their own on a free port,
// or use REDIS_URL). Finds it (REDIS_SERVER, or redis-server on the PATH); when missing and
// running as root on Debian, installs it with apt; otherwise says what to do. The tests never skip
// for want of Redis: without it they fail with the same advice.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const log = (line) => console.log(`[ensure-redis] ${line}`);
if (process.env.REDIS_URL) process.exit(0); // the tests use that server
const binary = process.env.REDIS_SERVER ?? 'redis-server';
const works = () => spawnSync(binary, ['--version'], { stdio: 'ignore' }).status === 0;

if (works()) process.exit(0);
if (process.env.REDIS_SERVER !== undefined) {
  console.error(`[ensure-redis] REDIS_SERVER is ${binary}, which does not run: point it at a redis-server binary.`);
  process.exit(1);
}
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
if (!isRoot || !existsSync('/usr/bin/apt-get')) {
  console.error(
    '[ensure-redis] redis-server is missing. Install it (sudo apt-get install redis-server), set REDIS_SERVER ' +
      'to a redis-server binary, or set REDIS_URL to a Redis the tests may use, then run the tests again.',
  );
  process.exit(1);
}
const run = (args) => {
  log(`apt-get ${args.join(' ')}`);
  const result = spawnSync('apt-get', args, { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (result.status !== 0) {
    console.error(`[ensure-redis] apt-get ${args[0]} failed (exit ${result.status}): install redis-server by hand, or set REDIS_URL.`);
    process.exit(1);
  }
};
run(['update', '-qq']);
run(['install', '-y', '-qq', '--no-install-recommends', 'redis-server']);
if (!works()) {
  console.error('[ensure-redis] redis-server still does not run after apt-get install.');
  process.exit(1);
}
log('installed redis-server');
