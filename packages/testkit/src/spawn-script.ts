/**
 * A Node script in a child process that says it is ready by printing one line of JSON on stdout
 * (its port, its URL...), then runs until it is killed by its pid: the test kit's router process
 * (spawnRouter) and the benchmarks' servers of other systems start this way.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';

/** A script started by {@link spawnScript}. */
export interface ScriptProcess<Ready> {
  readonly child: ChildProcess;
  /** The first line it printed, parsed as JSON. */
  readonly ready: Ready;
  /** Kills it with SIGKILL (no goodbyes: its sockets just die). Resolves once it exited. */
  kill(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Runs `node script ...args` with `env` over this process's environment; resolves once it printed
 * its first line (parsed as JSON), rejects if it exits first. Its stderr goes to this process's.
 */
export async function spawnScript<Ready>(script: string, args: readonly string[] = [], env: Record<string, string> = {}): Promise<ScriptProcess<Ready>> {
  const child = spawn(process.execPath, [script, ...args], { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, ...env } });
  const exited = once(child, 'exit');
  const line = await new Promise<string>((resolve, reject) => {
    let buffered = '';
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      buffered += chunk;
      const newline = buffered.indexOf('\n');
      if (newline !== -1) resolve(buffered.slice(0, newline));
    });
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code} before it was ready`)));
  });
  const kill = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
  return { child, ready: JSON.parse(line) as Ready, kill, [Symbol.asyncDispose]: kill };
}
