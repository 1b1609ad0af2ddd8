/**
 * The admin page (`createRouter({ admin: { token } })`, `herald serve --admin`): a page at
 * `/admin` and its JSON API, both behind a bearer token the operator types into the page:
 * - `GET  {path}/api/state`: the router, its clients (names, addresses, subscriptions), topics
 *   with publish rates and history sizes, presence, methods and their providers;
 * - `POST {path}/api/disconnect` with `{ "id": "…" }`: disconnects that client (close 1000, it
 *   does not reconnect on its own).
 * A wrong or missing token gets 401; the API reads the token from `Authorization: Bearer`, never
 * from a cookie, so another site cannot make a browser use it.
 */
import { optionInvalid } from '@herald/protocol';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ClientInfo } from './connection.js';
import type { Engine } from './engine.js';
import type { RouterStats } from './hub.js';
import { type AdminAccess, adminAccess } from './admin-access.js';
import { ADMIN_PAGE } from './admin-page.js';
import type { Authenticate } from './authentication.js';

/** Options of the admin page. */
export interface AdminOptions {
  /**
   * The secret an operator types into the page (at least 16 characters). Optional on a router with
   * `authenticate`: then a bearer token whose identity may `call` `herald.admin` opens the page too.
   */
  token?: string;
  /** Where the page is served. Default `/admin`. */
  path?: string;
}

/** What the admin page reads and does on the router. */
export interface AdminSource {
  readonly id: string;
  readonly name: string;
  readonly url: string;
  readonly engineAvailable: boolean;
  clients(): ClientInfo[];
  methods(): Array<{ method: string; providers: Array<{ id: string; name: string }> }>;
  stats(): RouterStats;
  disconnect(id: string, options?: { code?: number; reason?: string }): boolean;
}

/** Most topics the page tracks rates for (the least recently published are forgotten). */
const MAX_TOPICS = 1000;
/** Most topics and presence entries the state lists (by rate, then name). */
const MAX_LISTED = 100;
/** Time constant of the publish rate, in ms: rates average over about this long. */
const RATE_WINDOW_MS = 10_000;

interface TopicRate {
  published: number;
  /** Messages per second, exponentially averaged; as of `lastAt`. */
  rate: number;
  lastAt: number;
}

export class Admin {
  readonly path: string;
  readonly #access: AdminAccess;
  readonly #topics = new Map<string, TopicRate>();

  constructor(
    readonly source: AdminSource,
    readonly engine: Engine,
    options: AdminOptions,
    authenticate?: Authenticate,
  ) {
    checkAdminOptions(options, authenticate);
    this.path = (options.path ?? '/admin').replace(/\/$/, '');
    this.#access = adminAccess(options.token, authenticate);
  }

  /** Counts a publication towards its topic's rate (called by the hub, once per publish). */
  published(topic: string, now = Date.now()): void {
    let entry = this.#topics.get(topic);
    if (entry === undefined) {
      if (this.#topics.size >= MAX_TOPICS) this.#topics.delete(this.#topics.keys().next().value!);
      entry = { published: 0, rate: 0, lastAt: now };
    } else {
      this.#topics.delete(topic); // re-inserted below: the map stays in publish order
    }
    entry.rate = decay(entry, now) + 1000 / RATE_WINDOW_MS;
    entry.published++;
    entry.lastAt = now;
    this.#topics.set(topic, entry);
  }

  /** Answers the page and its API; false for other paths. */
  serve(request: IncomingMessage, response: ServerResponse): boolean {
    const path = (request.url ?? '/').split('?', 1)[0]!;
    if (path === this.path || path === `${this.path}/`) {
      reply(response, 200, 'text/html; charset=utf-8', ADMIN_PAGE.replaceAll('__ADMIN_PATH__', this.path), {
        'content-security-policy': "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'",
        'x-frame-options': 'DENY',
      });
      return true;
    }
    if (!path.startsWith(`${this.path}/api/`)) return false;
    void this.#access(request).then((authorized) => {
      if (authorized) {
        this.#api(path, request, response);
        return;
      }
      reply(response, 401, 'application/json', JSON.stringify({ code: 'ADMIN_UNAUTHORIZED', message: 'send the admin token as Authorization: Bearer <token>' }), {
        'www-authenticate': 'Bearer realm="herald-admin"',
      });
    });
    return true;
  }

  /** The API, once the request is authorized. */
  #api(path: string, request: IncomingMessage, response: ServerResponse): boolean {
    if (path === `${this.path}/api/state` && request.method === 'GET') {
      void this.state().then(
        (state) => reply(response, 200, 'application/json', JSON.stringify(state)),
        (error: unknown) => reply(response, 500, 'application/json', JSON.stringify({ code: 'INTERNAL_ERROR', message: String(error) })),
      );
      return true;
    }
    if (path === `${this.path}/api/disconnect` && request.method === 'POST') {
      void readJson(request).then((body) => {
        const id = (body as { id?: unknown } | undefined)?.id;
        if (typeof id !== 'string') return reply(response, 400, 'application/json', JSON.stringify({ code: 'BAD_REQUEST', message: 'send { "id": "<client id>" }' }));
        const disconnected = this.source.disconnect(id, { reason: 'disconnected from the admin page' });
        reply(response, disconnected ? 200 : 404, 'application/json', JSON.stringify({ disconnected }));
      });
      return true;
    }
    reply(response, 404, 'application/json', JSON.stringify({ code: 'NOT_FOUND', message: `no admin API at ${request.method} ${path}` }));
    return true;
  }

  /** What the page shows. */
  async state(now = Date.now()): Promise<AdminState> {
    const source = this.source;
    const clients = source.clients();
    const topics = [...this.#topics]
      .map(([topic, entry]) => ({ topic, published: entry.published, ratePerSec: round(decay(entry, now)), lastAt: new Date(entry.lastAt).toISOString() }))
      .sort((a, b) => b.ratePerSec - a.ratePerSec || (a.topic < b.topic ? -1 : 1))
      .slice(0, MAX_LISTED);
    const withHistory = await Promise.all(
      topics.map(async (t) => {
        try {
          return { ...t, history: (await this.engine.history(t.topic, { last: 10_000 })).messages.length };
        } catch {
          return { ...t, history: null };
        }
      }),
    );
    const subscribed = [...new Set(clients.flatMap((c) => c.subscriptions))].sort().slice(0, MAX_LISTED);
    const presence = await Promise.all(
      subscribed.map(async (topic) => {
        try {
          return { topic, members: (await this.engine.members(topic)).map((m) => ({ id: m.id, name: m.name })) };
        } catch {
          return { topic, members: clients.filter((c) => c.subscriptions.includes(topic)).map((c) => ({ id: c.id, name: c.name })) };
        }
      }),
    );
    return {
      router: { id: source.id, name: source.name, url: source.url, engineAvailable: source.engineAvailable, stats: source.stats() },
      clients: clients.map((c) => ({ id: c.id, name: c.name, address: c.address, connectedAt: c.connectedAt.toISOString(), subscriptions: c.subscriptions, info: describe(c.info) })),
      topics: withHistory,
      presence,
      methods: source.methods(),
    };
  }
}

/** The JSON the page reads from `api/state`. */
export interface AdminState {
  router: { id: string; name: string; url: string; engineAvailable: boolean; stats: RouterStats };
  clients: Array<{ id: string; name: string; address: string; connectedAt: string; subscriptions: string[]; info: string | null }>;
  topics: Array<{ topic: string; published: number; ratePerSec: number; lastAt: string; history: number | null }>;
  presence: Array<{ topic: string; members: Array<{ id: string; name: string }> }>;
  methods: Array<{ method: string; providers: Array<{ id: string; name: string }> }>;
}

function decay(entry: TopicRate, now: number): number {
  return entry.rate * Math.exp(-Math.max(0, now - entry.lastAt) / RATE_WINDOW_MS);
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

/** A client's info as short text (it may hold Dates, Maps, BigInts). */
function describe(info: unknown): string | null {
  if (info === undefined) return null;
  try {
    const text = JSON.stringify(info, (_key, value: unknown) =>
      typeof value === 'bigint' ? `${value}n` : value instanceof Map ? Object.fromEntries(value) : value instanceof Set ? [...value] : value,
    );
    return text.length > 200 ? `${text.slice(0, 199)}…` : text;
  } catch {
    return '(not printable)';
  }
}

function reply(response: ServerResponse, status: number, contentType: string, body: string, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store', ...headers });
  response.end(body);
}

/** Throws unless the admin page has a way in: a token of 16+ characters, or the router's `authenticate`. */
export function checkAdminOptions(options: AdminOptions, authenticate: Authenticate | undefined): void {
  if (options.token === undefined && authenticate !== undefined) return;
  if (typeof options.token !== 'string' || options.token.length < 16) {
    // The token is a secret: the error says its kind and length, never its characters.
    const shown = typeof options.token === 'string' ? `a string of ${options.token.length} characters` : String(options.token);
    throw optionInvalid('createRouter', 'admin.token', 'a string of at least 16 characters (or set authenticate)', shown);
  }
}

/** Reads a small JSON body (at most 4 KiB); undefined when it is not JSON. */
function readJson(request: IncomingMessage): Promise<unknown> {
  return new Promise((resolve) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => {
      body += chunk;
      if (body.length > 4096) {
        request.destroy();
        resolve(undefined);
      }
    });
    request.on('end', () => {
      try {
        resolve(JSON.parse(body));
      } catch {
        resolve(undefined);
      }
    });
  });
}
