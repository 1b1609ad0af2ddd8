/**
 * `herald serve` authentication: the config file's `auth` (and the `--jwt-*` flags) turned into
 * `createRouter`'s `authenticate` (jose, through `jwtAuthenticator`), plus what anonymous clients
 * (no token) may do. Secrets come from a flag, a config field, or an environment variable named
 * by `--jwt-secret-env` / `auth.secretEnv` (default `HERALD_JWT_SECRET`), so that they stay out of `ps`.
 */
import { type Authenticate, type Permissions, jwtAuthenticator } from '@herald/server';
import { optionError } from './usage.js';

/** The `auth` section of a config file. */
export interface AuthConfig {
  /** The HMAC secret of the tokens (HS256 by default). Prefer `secretEnv` in files you commit. */
  secret?: string;
  /** The environment variable holding the secret (default `HERALD_JWT_SECRET` when neither secret nor jwksUrl is given). */
  secretEnv?: string;
  /** An identity provider's JWKS URL (its `jwks_uri`), instead of a secret. */
  jwksUrl?: string;
  /** The algorithms accepted. Default `["HS256"]` with a secret, `["RS256"]` with a JWKS URL. */
  algorithms?: string[];
  /** The expected `iss`. Default `herald` (what `herald token` writes). */
  issuer?: string | string[];
  /** The expected `aud`. Default `herald` (what `herald token` writes). */
  audience?: string | string[];
  /**
   * What a client without a token may do (it connects as user `anonymous`), e.g.
   * `{ "allow": { "public.>": ["subscribe"] } }`. Default: no token, no connection (close 4100).
   */
  anonymous?: Permissions | false;
}

/** The user a client without a token connects as, when `auth.anonymous` is set. */
export const ANONYMOUS_USER = 'anonymous';

/** The `authenticate` hook of an `auth` config; a usage error names what is missing. */
export function authenticateOf(auth: AuthConfig): Authenticate {
  const secret = auth.secret ?? (auth.jwksUrl === undefined ? process.env[auth.secretEnv ?? 'HERALD_JWT_SECRET'] : undefined);
  if (auth.secretEnv !== undefined && auth.secret === undefined && (secret === undefined || secret === '')) {
    throw optionError(`the JWT secret's environment variable ${auth.secretEnv} is not set`, 'serve');
  }
  if ((secret === undefined || secret === '') && auth.jwksUrl === undefined) {
    throw optionError('authentication needs a JWT secret (--jwt-secret, --jwt-secret-env or $HERALD_JWT_SECRET) or --jwks-url', 'serve');
  }
  if (secret !== undefined && secret !== '' && auth.jwksUrl !== undefined) throw optionError('give a JWT secret or a JWKS URL, not both', 'serve');
  if (secret !== undefined && secret.length < 16) throw optionError('the JWT secret must be at least 16 characters', 'serve');
  const jwt = jwtAuthenticator({
    ...(auth.jwksUrl !== undefined ? { jwksUrl: auth.jwksUrl } : { secret: secret! }),
    algorithms: auth.algorithms ?? (auth.jwksUrl !== undefined ? ['RS256'] : ['HS256']),
    issuer: auth.issuer ?? 'herald',
    audience: auth.audience ?? 'herald',
  });
  const anonymous = auth.anonymous;
  if (anonymous === undefined || anonymous === false) return jwt;
  return (ctx) => (ctx.token === undefined || ctx.token === '' ? { user: ANONYMOUS_USER, permissions: anonymous } : jwt(ctx));
}
