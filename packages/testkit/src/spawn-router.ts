import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { spawnScript } from './spawn-script.js';

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
  const { child, ready, kill } = await spawnScript<{ port: number; url: string }>(SCRIPT, ['--port', String(port)], env);
  return { port: ready.port, url: ready.url, child, kill, [Symbol.asyncDispose]: kill };
}
