/**
 * A client in another language, written from PROTOCOL.md alone, works (issue 11): `python/herald_client.py`
 * (Python 3, standard library only, its own WebSocket framing) speaks `herald.v1.json` to a real
 * router while Herald's JavaScript client (superjson) is on the other side: hello/welcome, presence
 * (watch, join, leave), subscribe, publish with ack, requests both ways, coded refusals. The script
 * prints one JSON report; this test checks it, and what the JavaScript side saw.
 *
 * Needs `python3` on PATH. Without it the test is reported as skipped under a name that says so.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { type Client, connect } from '@herald/client';
import { deferred, startRouter } from '@herald/testkit';
import { describe, expect, it } from 'vitest';

const SCRIPT = fileURLToPath(new URL('./python/herald_client.py', import.meta.url));
const PYTHON = process.env.HERALD_PYTHON ?? 'python3';
const pythonVersion = (() => {
  const probe = spawnSync(PYTHON, ['--version'], { encoding: 'utf8' });
  return probe.status === 0 ? `${probe.stdout}${probe.stderr}`.trim() : undefined;
})();
if (pythonVersion === undefined) {
  console.warn(`python-client.int.test.ts: ${PYTHON} not found: the Python client test is SKIPPED`);
}

/** Runs the script against `url`; resolves with its exit code and output. Ended by its pid when disposed. */
function runScript(url: string): { child: ChildProcess; done: Promise<{ code: number | null; stdout: string; stderr: string }> } & AsyncDisposable {
  const child = spawn(PYTHON, [SCRIPT, url], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const done = once(child, 'exit').then(([code]) => ({ code: code as number | null, stdout, stderr }));
  return {
    child,
    done,
    async [Symbol.asyncDispose]() {
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
        process.kill(child.pid, 'SIGKILL');
        await done;
      }
    },
  };
}

describe('a Python client written from PROTOCOL.md', () => {
  const title =
    pythonVersion === undefined
      ? `SKIPPED: ${PYTHON} not found on PATH, so the Python client was not run`
      : `speaks herald.v1.json with JavaScript clients (${pythonVersion})`;

  it.skipIf(pythonVersion === undefined)(title, async () => {
    await using router = await startRouter();
    await using js = await connect(router.url, { name: 'js', info: { lang: 'ts' } });
    const callers: Array<{ name: string; info: unknown }> = [];
    await js.handle('js.add', (params: unknown, ctx) => {
      callers.push({ name: ctx.caller.name, info: ctx.caller.info });
      const { a, b } = params as { a: number; b: number };
      return { sum: a + b, at: new Date(0), big: 2n ** 64n };
    });
    await js.subscribe('room.lobby', () => {});
    const fromPython: unknown[] = [];
    await js.subscribe('py.out', (data) => fromPython.push(data));
    const ready = deferred<void>();
    await js.subscribe('py.ready', () => ready.resolve());

    await using script = runScript(router.url);
    const failed = script.done.then(({ code, stderr }) => {
      throw new Error(`the Python client exited (${code}) before it was ready:\n${stderr}`);
    });
    await Promise.race([ready.promise, failed]);

    // The Python client is connected and serves py.upper: publish to it, call it, join and leave.
    expect(router.clients().find((client) => client.name === 'py')).toMatchObject({ info: { lang: 'python' }, subscriptions: ['room.lobby', 'py.in'] });
    await js.publish('py.in', { text: 'hello from js', at: new Date('2026-12-06T10:00:00.000Z'), big: 12n, tags: new Set(['a', 'b']), nothing: undefined });
    expect(await js.request('py.upper', { text: 'shout' })).toEqual({ upper: 'SHOUT', by: 'python' });
    const js2: Client = await connect(router.url, { name: 'js2' });
    await js2.subscribe('room.lobby', () => {});
    await js2.close();

    const { code, stdout, stderr } = await script.done;
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as Record<string, unknown>;
    expect(report).toEqual({
      refusedConnections: { codec: [4001, 'CODEC_UNSUPPORTED'], infoObject: [4000, 'HELLO_INVALID'], infoNotJson: [4000, 'HELLO_INVALID'] },
      welcome: { version: 1, name: 'py', maxPayload: 1024 * 1024, heartbeatMs: 10_000 },
      members: [['js', { lang: 'ts' }]],
      selfJoin: 'py',
      subscribedAt: true,
      ack: { epoch: expect.any(String), offset: 1 },
      // Rich values reach a json peer as superjson's JSON projection.
      add: { sum: 5, at: '1970-01-01T00:00:00.000Z', big: '18446744073709551616' },
      refusals: { topic: 'TOPIC_INVALID', bigint: 'PAYLOAD_INVALID', nohandler: 'NO_HANDLER' },
      received: { topic: 'py.in', from: 'js', value: { text: 'hello from js', at: '2026-12-06T10:00:00.000Z', big: '12', tags: ['a', 'b'], nothing: null } },
      served: { params: { text: 'shout' }, caller: ['js', { lang: 'ts' }] },
      js2: ['room.lobby', 'closed'],
      unsolicitedErrors: [],
      closeCode: 1000,
    });
    // What the JavaScript side saw of the Python client.
    expect(fromPython).toEqual([{ from: 'python', n: 1, text: 'héllo' }]);
    expect(callers).toEqual([{ name: 'py', info: { lang: 'python' } }]);
  });
});
