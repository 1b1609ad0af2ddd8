/**
 * `pnpm demo` keeps its URLs in view: after the banner, the default run prints nothing while the
 * publisher publishes and the swarm joins (only warnings would show); `--verbose` shows that
 * traffic. No browser: the real `main.js` in a process of its own, watched through a client.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { connect } from '@herald/client';
import { MEMBER_SCRIPT } from '@herald/demo';
import { expect, test } from '@playwright/test';

const MAIN = join(dirname(MEMBER_SCRIPT), 'main.js');
const BANNER_END = /SIGUSR2 restarts the router; Ctrl-C \(SIGINT\) stops\.\n/;

interface DemoRun {
  child: ChildProcess;
  routerUrl: string;
  /** Everything printed (stdout and stderr) after the banner. */
  after(): string;
}

async function startMain(args: string[]): Promise<DemoRun> {
  const child = spawn(process.execPath, [MAIN, '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, HERALD_DEMO_VERBOSE: '' } });
  let output = '';
  let bannerAt = -1;
  const banner = new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = BANNER_END.exec(output);
      if (bannerAt < 0 && match !== null) {
        bannerAt = match.index + match[0].length;
        resolve(/Router\s+(ws:\/\/\S+)/.exec(output)![1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`the demo exited (${code}) before its banner:\n${output}`)));
  });
  const routerUrl = await banner;
  return { child, routerUrl, after: () => output.slice(bannerAt) };
}

/** Waits for `count` sensor readings and for a swarm member in the feed's presence. */
async function watchTraffic(routerUrl: string, readings: number): Promise<void> {
  await using client = await connect(routerUrl, { name: 'quiet-check', reconnect: false });
  let seen = 0;
  const enough = new Promise<void>((resolve) => {
    void client.subscribe('demo.sensors.>', () => ++seen >= readings && resolve());
  });
  const presence = await client.presence('demo.>');
  const swarm = new Promise<void>((resolve) => {
    if (presence.members().some((m) => m.name !== 'quiet-check')) resolve();
    presence.on('change', (members) => members.some((m) => m.name !== 'quiet-check') && resolve());
  });
  await Promise.all([enough, swarm]);
}

async function stop(run: DemoRun): Promise<number | null> {
  const exited = once(run.child, 'exit');
  process.kill(run.child.pid!, 'SIGINT');
  const [code] = (await exited) as [number | null];
  return code;
}

test('quiet by default: nothing after the banner while readings flow and the swarm joins', async () => {
  const run = await startMain([]);
  try {
    await watchTraffic(run.routerUrl, 3);
    expect(run.after().trim()).toBe(''); // the banner ends with blank lines
  } finally {
    expect(await stop(run)).toBe(0);
  }
});

test('--verbose logs the traffic', async () => {
  const run = await startMain(['--verbose']);
  try {
    await watchTraffic(run.routerUrl, 11); // the publisher logs every 10th reading
    await expect.poll(() => run.after()).toContain('publisher: readings sent');
    expect(run.after()).toContain('swarm:');
  } finally {
    expect(await stop(run)).toBe(0);
  }
});
