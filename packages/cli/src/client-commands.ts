/**
 * The commands that talk to a running router as a client: pub, sub, call, presence, methods, ping.
 * Values are read and printed as literals (literal.ts), or JSON with `--json`.
 */
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { type Client, connect } from '@herald/client';
import { formatLiteral, parseLiteral, toJson } from './literal.js';
import { UsageError, intFlag } from './usage.js';

const COMMON = {
  url: { type: 'string', short: 'u' },
  name: { type: 'string' },
  token: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

interface Common {
  url?: string | undefined;
  name?: string | undefined;
  token?: string | undefined;
  json?: boolean | undefined;
}

/** Where commands connect: `--url`, then HERALD_URL, then the local default. */
function urlOf(values: Common): string {
  return values.url ?? process.env.HERALD_URL ?? 'ws://127.0.0.1:8080/';
}

async function open(values: Common): Promise<Client> {
  // `--token`, else $HERALD_TOKEN (out of `ps`): the hello's token, for routers with authentication.
  const token = values.token ?? process.env.HERALD_TOKEN;
  return connect(urlOf(values), { name: values.name ?? 'herald-cli', reconnect: false, ...(token !== undefined && token !== '' && { token }) });
}

/** Reads a value argument: a literal, or JSON with `--json`. */
function readValue(text: string, json: boolean | undefined, what: string): unknown {
  if (json === true) {
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      throw new UsageError(`${what} is not JSON: ${(error as Error).message}`);
    }
  }
  try {
    return parseLiteral(text);
  } catch (error) {
    throw new UsageError(`${what}: ${(error as Error).message} (see herald --help for the syntax; quote text: "'hello'")`);
  }
}

const show = (value: unknown, json: boolean | undefined): string => (json === true ? toJson(value) : formatLiteral(value));

function write(line: string): void {
  process.stdout.write(`${line}\n`);
}

export async function pub(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: { ...COMMON }, allowPositionals: true, strict: true });
  const [topic, text, ...rest] = positionals;
  if (topic === undefined || rest.length > 0) throw new UsageError('pub takes a topic and, optionally, one value', 'pub');
  const items = text === undefined ? undefined : [readValue(text, values.json, 'the value')];
  await using client = await open(values);
  const publishOne = async (data: unknown): Promise<void> => {
    const ack = await client.publish(topic, data);
    write(values.json === true ? toJson({ topic: ack.topic, epoch: ack.epoch, offset: ack.offset }) : `published ${ack.topic} #${ack.offset}`);
  };
  if (items !== undefined) {
    for (const item of items) await publishOne(item);
    return 0;
  }
  // No value: one value per line of standard input.
  let line = 0;
  for await (const input of createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY })) {
    line++;
    if (input.trim() === '') continue;
    await publishOne(readValue(input, values.json, `line ${line}`));
  }
  return 0;
}

export async function sub(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { ...COMMON, rewind: { type: 'string' }, count: { type: 'string', short: 'n' } },
    allowPositionals: true,
    strict: true,
  });
  const [pattern, ...rest] = positionals;
  if (pattern === undefined || rest.length > 0) throw new UsageError('sub takes one topic or pattern', 'sub');
  const rewind = intFlag(values.rewind, '--rewind');
  const count = intFlag(values.count, '--count', 1);
  const client = await open(values);
  let seen = 0;
  const done = new Promise<number>((resolve) => {
    client.on('statechange', (change) => change.to === 'closed' && resolve(change.code === 1000 || change.code === undefined ? 0 : 1));
    process.once('SIGINT', () => resolve(0));
    process.once('SIGTERM', () => resolve(0));
    void client
      .subscribe(pattern, (data, meta) => {
        if (values.json === true) {
          write(toJson({ topic: meta.topic, offset: meta.offset, epoch: meta.epoch, publisher: meta.publisher, publishedAt: meta.publishedAt, replayed: meta.replayed, data }));
        } else {
          write(`${meta.topic} #${meta.offset} from ${meta.publisher.name}${meta.replayed ? ' (replayed)' : ''}: ${formatLiteral(data)}`);
        }
        if (count !== undefined && ++seen >= count) resolve(0);
      }, rewind === undefined ? {} : { rewind })
      .then(
        () => process.stderr.write(`subscribed to ${pattern} on ${urlOf(values)}\n`),
        (error: unknown) => {
          process.stderr.write(`herald sub: ${describe(error)}\n`);
          resolve(1);
        },
      );
  });
  const code = await done;
  await client.close();
  return code;
}

export async function call(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: { ...COMMON, timeout: { type: 'string', short: 't' } }, allowPositionals: true, strict: true });
  const [method, text, ...rest] = positionals;
  if (method === undefined || rest.length > 0) throw new UsageError('call takes a method and, optionally, its params', 'call');
  const params = text === undefined ? undefined : readValue(text, values.json, 'the params');
  const timeout = intFlag(values.timeout, '--timeout', 1);
  await using client = await open(values);
  const result = await client.request(method, params, timeout === undefined ? {} : { timeout });
  write(show(result, values.json));
  return 0;
}

export async function presence(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: { ...COMMON, watch: { type: 'boolean', short: 'w' } }, allowPositionals: true, strict: true });
  const [topic, ...rest] = positionals;
  if (topic === undefined || rest.length > 0) throw new UsageError('presence takes one topic or pattern', 'presence');
  await using client = await open(values);
  const view = await client.presence(topic);
  const member = (m: { id: string; name: string; info: unknown; connectedAt: Date }) =>
    values.json === true ? toJson(m) : `${m.name} (${m.id}) since ${m.connectedAt.toISOString()}${m.info === undefined ? '' : ` ${formatLiteral(m.info)}`}`;
  for (const m of view.members()) write(member(m));
  if (view.members().length === 0 && values.json !== true) process.stderr.write(`nobody is present in ${topic}\n`);
  if (values.watch !== true) return 0;
  view.on('join', (m) => write(values.json === true ? toJson({ event: 'join', member: m }) : `+ ${member(m)}`));
  view.on('leave', (m, reason) => write(values.json === true ? toJson({ event: 'leave', reason, member: m }) : `- ${member(m)} (${reason})`));
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
    client.on('statechange', (change) => change.to === 'closed' && resolve());
  });
  return 0;
}

export async function methods(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: { ...COMMON }, allowPositionals: true, strict: true });
  if (positionals.length > 0) throw new UsageError('methods takes no arguments', 'methods');
  await using client = await open(values);
  const list = await client.methods();
  if (list.length === 0 && values.json !== true) process.stderr.write('no methods are provided\n');
  for (const { method, providers } of list) {
    write(values.json === true ? toJson({ method, providers }) : `${method}  ${providers.map((p) => `${p.name} (${p.id})`).join(', ')}`);
  }
  return 0;
}

export async function ping(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: { ...COMMON }, allowPositionals: true, strict: true });
  if (positionals.length > 0) throw new UsageError('ping takes no arguments', 'ping');
  await using client = await open(values);
  const ms = await client.ping();
  write(values.json === true ? toJson({ url: urlOf(values), router: client.router, ms }) : `pong from ${urlOf(values)} in ${ms.toFixed(1)} ms`);
  return 0;
}

/** `CODE: message` for a HeraldError, the message otherwise. */
export function describe(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  return typeof code === 'string' ? `${code}: ${message}` : message;
}
