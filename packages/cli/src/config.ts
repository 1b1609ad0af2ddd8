/**
 * `herald serve --config herald.config.json|.js|.mjs|.ts`: the router's settings in a file. Flags
 * given on the command line win over the file. A `.js`/`.ts` file default-exports the object
 * (`defineConfig` types it); a `.ts` file is compiled with the project's own `typescript`.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, extname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { HistoryRule, LogLevel, MetricsOptions, RouterOptions } from '@herald/server';
import type { AuthConfig } from './serve-auth.js';

/** The limits `herald serve` passes on to `createRouter` (README, Router options). */
export type LimitOptions = Pick<
  RouterOptions,
  | 'maxPayload'
  | 'maxConnections'
  | 'maxSubscriptions'
  | 'maxBufferedBytes'
  | 'helloTimeoutMs'
  | 'heartbeatIntervalMs'
  | 'heartbeatTimeoutMs'
  | 'requestTimeoutMs'
  | 'maxRequestTimeoutMs'
  | 'maxPendingRequests'
  | 'maxNameLength'
  | 'maxInfoBytes'
  | 'maxProtocolErrors'
  | 'shutdownTimeoutMs'
>;

/** What a `herald.config.*` file holds. Every field is optional. */
export interface HeraldConfig {
  port?: number;
  host?: string;
  path?: string;
  /** The router's name, as publisher of its own messages. */
  name?: string;
  /** A Redis engine: a `redis://` URL, or `{ url, prefix }`. Without it, the in-memory engine. */
  redis?: string | { url: string; prefix?: string };
  /** History rules (in-memory engine and Redis alike): one rule, rules by pattern, or `false`. */
  history?: HistoryRule | HistoryRule[] | false;
  limits?: LimitOptions;
  /** Prometheus metrics at `/metrics` (or on `metrics.port`). */
  metrics?: boolean | Omit<MetricsOptions, 'registry'>;
  /** The admin page at `/admin`: `true` (a token is generated and printed) or `{ token, path }`. */
  admin?: boolean | { token?: string; path?: string };
  /** JWT authentication (jose): a secret (or the env var holding it) or a JWKS URL, issuer, audience, anonymous permissions. */
  auth?: AuthConfig;
  /** Origins browsers may connect from (`https://app.example.com`); others get HTTP 403. */
  allowedOrigins?: string[];
  /** `text` (readable, the default) or `json` (one object per line, for log shippers). */
  logFormat?: 'text' | 'json';
  logLevel?: LogLevel;
}

/** Types a config file: `export default defineConfig({ port: 8080, redis: 'redis://127.0.0.1:6379' })`. */
export function defineConfig(config: HeraldConfig): HeraldConfig {
  return config;
}

/** Reads a config file; rejects with a message that names the file. */
export async function loadConfig(file: string): Promise<HeraldConfig> {
  const path = resolve(file);
  const ext = extname(path);
  let config: unknown;
  try {
    if (ext === '.json') config = JSON.parse(await readFile(path, 'utf8'));
    else if (ext === '.js' || ext === '.mjs') config = ((await import(pathToFileURL(path).href)) as { default?: unknown }).default;
    else if (ext === '.ts' || ext === '.mts') config = await importTypeScript(path);
    else throw new Error('a config file ends in .json, .js, .mjs or .ts');
  } catch (error) {
    throw new Error(`cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (typeof config !== 'object' || config === null || Array.isArray(config)) throw new Error(`${file} must hold (or default-export) an object`);
  return config as HeraldConfig;
}

/** Node 20 does not run TypeScript: compile the file with the project's `typescript`, then import it. */
async function importTypeScript(path: string): Promise<unknown> {
  let ts: typeof import('typescript');
  try {
    ts = ((await import('typescript')) as { default: typeof import('typescript') }).default;
  } catch {
    throw new Error('a .ts config needs the typescript package (npm install -D typescript), or use .json or .js');
  }
  const output = ts.transpileModule(await readFile(path, 'utf8'), {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: false },
    fileName: path,
  }).outputText;
  // Written beside the config, so that its imports resolve as they would from the .ts file.
  const compiled = join(dirname(path), `.herald.config.${process.pid}.${Date.now()}.mjs`);
  try {
    await writeFile(compiled, output);
    return ((await import(pathToFileURL(compiled).href)) as { default?: unknown }).default;
  } finally {
    await rm(compiled, { force: true });
  }
}
