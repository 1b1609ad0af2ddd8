/**
 * The demo's sign-in: the demo server mints short-lived JWTs (HS256, with jose) on
 * `GET /herald-token?name=…`, and the router verifies them with `jwtAuthenticator`. The page fetches
 * one before every connection and before it expires (the client's `token` function), so the router
 * knows who each page is: its `user` shows in the page, in `router.clients()` and as publisher.
 *
 * There is no password: this is a demo of the flow, not of a login form. Clients without a token
 * (the Node swarm, the embeddable widget on other sites) are guests with a `guest-…` user.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type AuthContext, type Authenticate, type Identity, type Permissions, jwtAuthenticator } from '@herald/server';
import { SignJWT } from 'jose';

/** The token endpoint's path. */
export const TOKEN_PATH = '/herald-token';

const ISSUER = 'herald-demo';
const AUDIENCE = 'herald-demo';

/** What a signed-in page may do: read the feed, chat, ask the services, and its own `user.<user>.>`. */
export const PAGE_PERMISSIONS: Permissions = {
  allow: {
    'demo.>': ['subscribe', 'history', 'presence', 'watch', 'call'],
    'demo.chat': ['publish'],
    'user.{user}.>': ['*'],
  },
};

/** Guests (no token) keep what every client could do before sign-in existed. */
export const GUEST_PERMISSIONS: Permissions = { allow: { '>': ['*'] } };

export interface SignIn {
  authenticate: Authenticate;
  /** Mints a token for `user`, valid `lifetimeMs`. */
  mint(user: string, name: string, permissions?: Permissions): Promise<{ token: string; expiresAt: number }>;
  /** Answers `GET /herald-token?name=…`; false when the request is for another path. */
  handle(request: IncomingMessage, response: ServerResponse): boolean;
}

/** A sign-in with a fresh random secret (tokens do not outlive the demo process). */
export function createSignIn(options: { lifetimeMs?: number } = {}): SignIn {
  const secret = randomBytes(32);
  const lifetimeMs = options.lifetimeMs ?? 120_000;
  const verify = jwtAuthenticator({ secret, algorithms: ['HS256'], issuer: ISSUER, audience: AUDIENCE });
  let guests = 0;

  const mint: SignIn['mint'] = async (user, name, permissions = PAGE_PERMISSIONS) => {
    const expiresAt = Math.floor((Date.now() + lifetimeMs) / 1000);
    const token = await new SignJWT({ name, herald: permissions })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(user)
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(expiresAt)
      .sign(secret);
    return { token, expiresAt: expiresAt * 1000 };
  };

  const authenticate = async (ctx: AuthContext): Promise<Identity> => {
    if (ctx.token === undefined) {
      guests += 1;
      const name = ctx.name ?? `guest ${guests}`;
      return { user: `guest-${guests}`, name, info: ctx.info, permissions: GUEST_PERMISSIONS };
    }
    const identity = await verify(ctx);
    // The page's info (browser, agent) is decoration: taken from its hello.
    return { ...identity, info: identity.info ?? ctx.info };
  };

  const handle: SignIn['handle'] = (request, response) => {
    const url = new URL(request.url ?? '/', 'http://demo');
    if (url.pathname !== TOKEN_PATH) return false;
    const name = (url.searchParams.get('name') ?? '').trim().slice(0, 64);
    if (name === '' || request.method !== 'GET') {
      response.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' });
      response.end('GET /herald-token?name=<your name>\n');
      return true;
    }
    // The user is the name made into one topic segment, so `user.{user}.>` names its own space.
    const user = `web-${name.toLowerCase().replace(/[^a-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '') || 'anonymous'}`;
    mint(user, name).then(
      (minted) => {
        response.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
        response.end(JSON.stringify({ ...minted, user }));
      },
      (error: unknown) => {
        response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
        response.end(`${String(error)}\n`);
      },
    );
    return true;
  };

  return { authenticate, mint, handle };
}
