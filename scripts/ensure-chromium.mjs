#!/usr/bin/env node
// The browser tests drive Debian's Chromium (Playwright never downloads a browser here). Finds it
// (CHROMIUM_PATH, or /usr/bin/chromium); when missing and running as root on Debian, installs it
// with apt; otherwise says what to do.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const wanted = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const log = (line) => console.log(`[ensure-chromium] ${line}`);

if (existsSync(wanted)) process.exit(0);
if (process.env.CHROMIUM_PATH !== undefined) {
  console.error(`[ensure-chromium] CHROMIUM_PATH is ${wanted}, which does not exist: point it at a Chromium binary.`);
  process.exit(1);
}
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
if (!isRoot || !existsSync('/usr/bin/apt-get')) {
  console.error(
    '[ensure-chromium] /usr/bin/chromium is missing. Install Debian\'s Chromium (sudo apt-get install chromium) ' +
      'or set CHROMIUM_PATH to a Chromium binary, then run the tests again.',
  );
  process.exit(1);
}
const run = (args) => {
  log(`apt-get ${args.join(' ')}`);
  const result = spawnSync('apt-get', args, { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (result.status !== 0) {
    console.error(`[ensure-chromium] apt-get ${args[0]} failed (exit ${result.status}): install chromium by hand, or set CHROMIUM_PATH.`);
    process.exit(1);
  }
};
run(['update', '-qq']);
run(['install', '-y', '-qq', '--no-install-recommends', 'chromium']);
log(`installed ${wanted}`);
