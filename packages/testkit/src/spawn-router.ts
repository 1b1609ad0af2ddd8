import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** A router running in a child process (see router-process.ts). */
export interface RouterProcess {
  readonly port: number;
  readonly url: string;
  readonly child: ChildProcess;
  /** Kills it with SIGKILL: no close frames, sockets just die. Resolves once it exited. */
  kill(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Resolved on use: in a DOM test environment `import.meta.url` is not a file URL, and nothing here runs. */
const script = (): string => fileURLToPath(new URL('../dist/router-process.js', import.meta.url));

/**
 * Starts a router in a child process, on `port` (0: any free one). The child runs the built
 * packages, so build first (`pnpm build`; `pnpm test` does).
 */
export async function spawnRouter(port = 0, env: Record<string, string> = {}): Promise<RouterProcess> {
  const SCRIPT = script();
  if (!existsSync(SCRIPT)) throw new Error(`spawnRouter: ${SCRIPT} is missing: run \`pnpm build\` first`);
  const child = spawn(process.execPath, [SCRIPT, '--port', String(port)], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, ...env },
  });
  const exited = once(child, 'exit');
  const line = await new Promise<string>((resolve, reject) => {
    let buffered = '';
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      buffered += chunk;
      const newline = buffered.indexOf('\n');
      if (newline !== -1) resolve(buffered.slice(0, newline));
    });
    child.once('exit', (code) => reject(new Error(`the router process exited with ${code} before listening`)));
  });
  const { port: actual, url } = JSON.parse(line) as { port: number; url: string };
  const kill = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
  return { port: actual, url, child, kill, [Symbol.asyncDispose]: kill };
}
