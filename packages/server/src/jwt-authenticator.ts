/**
 * `jwtAuthenticator`: an `authenticate` hook that verifies JSON Web Tokens with `jose` and maps
 * their claims to an identity. Built on jose rather than our own code: its verification refuses
 * `alg: none`, checks `exp`/`nbf`/`iss`/`aud` with a clock tolerance, and its remote key sets
 * cache keys, refetch on an unknown `kid` and rate-limit refetches (cooldown).
 */
import { ErrorCode, HeraldError } from '@herald/protocol';
import { checkJwtOptions } from './jwt-options.js';
import {
  type CryptoKey,
  type JWK,
  type JWTPayload,
  type JWTVerifyGetKey,
  type KeyObject,
  type RemoteJWKSetOptions,
  createRemoteJWKSet,
  errors,
  importJWK,
  importSPKI,
  jwtVerify,
} from 'jose';
import type { AuthContext, Authenticate, Identity } from './authentication.js';
import type { PermissionRules, Permissions } from './permissions.js';

/** Options of {@link jwtAuthenticator}: exactly one of `secret`, `publicKey` or `jwksUrl`. */
export interface JwtAuthenticatorOptions {
  /** The shared secret of HMAC tokens (HS256, HS384, HS512). */
  secret?: string | Uint8Array;
  /** The public key of signed tokens (RS*, PS*, ES*, EdDSA): a PEM SPKI string, a JWK, or a key object. */
  publicKey?: string | JWK | CryptoKey | KeyObject;
  /**
   * A JWKS URL (an identity provider's `jwks_uri`). Keys are cached, refetched when a token names
   * an unknown `kid`, at most once per cooldown (jose's `createRemoteJWKSet`).
   */
  jwksUrl?: string | URL;
  /** jose's remote key set options: `cooldownDuration` (default 30 s), `cacheMaxAge` (10 min), `timeoutDuration` (5 s). */
  jwks?: RemoteJWKSetOptions;
  /** The algorithms accepted (required: a token signed with any other is refused), e.g. `['RS256']`. */
  algorithms: readonly string[];
  /** The expected `iss` (one, or any of several). Required. */
  issuer: string | readonly string[];
  /** The expected `aud` (one, or any of several). Required. */
  audience: string | readonly string[];
  /** Leeway for `exp` and `nbf`, in milliseconds. Default 5,000. */
  clockToleranceMs?: number;
  /** Whether tokens must have `exp`. Default true: tokens are short-lived and refreshed in band. */
  requireExpiry?: boolean;
  /**
   * The claim holding the permissions, `{ allow: { [pattern]: operations }, deny?: ... }` (`caps`
   * is read as `allow`, as earlier `herald token` versions wrote it; `herald token` writes `allow`). Default `herald`. Patterns may interpolate `{user}` (the `sub`) and `{name}`.
   */
  permissionsClaim?: string;
  /** The claim holding the name others see. Default `name`; without it, the `sub`. */
  nameClaim?: string;
  /** The claim holding the info shown in presence. Default `info`. */
  infoClaim?: string;
  /** Permissions of a valid token without the permissions claim. Default: nothing. */
  defaultPermissions?: Permissions;
  /** Reads the token from the context. Default: the hello's (or refresh's) `token`. */
  token?: (ctx: AuthContext) => string | undefined;
}

/**
 * An `authenticate` hook for `createRouter` that verifies JWTs (with `jose`): `sub` becomes the
 * identity's `user`, `exp` its `expiresAt`, and the `name`, `info` and `herald` claims its name,
 * info and permissions. A token that is missing, malformed, forged, signed with an algorithm not
 * in `algorithms`, from another issuer or audience is refused (close 4100 `AUTH_INVALID`); an
 * expired one with 4101 `TOKEN_EXPIRED`. Throws `OPTION_INVALID` (a `HeraldError`) at once for
 * options it cannot use: not exactly one key source, an empty secret, no algorithms, no issuer or
 * audience, a `clockToleranceMs` outside 0 to 2^31 - 1 (jwt-options.ts).
 *
 * @example
 * import { createRouter, jwtAuthenticator } from '@herald/server';
 * const router = await createRouter({
 *   authenticate: jwtAuthenticator({
 *     jwksUrl: 'https://auth.example.com/.well-known/jwks.json',
 *     algorithms: ['RS256'], issuer: 'https://auth.example.com/', audience: 'herald',
 *   }),
 * });
 */
export function jwtAuthenticator(options: JwtAuthenticatorOptions): Authenticate {
  checkJwtOptions(options);
  const key = keyOf(options);
  const verifyOptions = {
    algorithms: [...options.algorithms],
    issuer: typeof options.issuer === 'string' ? options.issuer : [...options.issuer],
    audience: typeof options.audience === 'string' ? options.audience : [...options.audience],
    clockTolerance: (options.clockToleranceMs ?? 5000) / 1000,
    requiredClaims: options.requireExpiry === false ? ['sub'] : ['sub', 'exp'],
  };
  const permissionsClaim = options.permissionsClaim ?? 'herald';
  const nameClaim = options.nameClaim ?? 'name';
  const infoClaim = options.infoClaim ?? 'info';
  const readToken = options.token ?? ((ctx: AuthContext) => ctx.token);

  return async (ctx) => {
    const token = readToken(ctx);
    if (token === undefined || token === '') throw new HeraldError(ErrorCode.AUTH_INVALID, 'no token');
    let payload: JWTPayload;
    try {
      payload = (await jwtVerify(token, await key, verifyOptions)).payload;
    } catch (cause) {
      if (cause instanceof errors.JWTExpired) throw new HeraldError(ErrorCode.TOKEN_EXPIRED, 'the token has expired', { cause });
      throw new HeraldError(ErrorCode.AUTH_INVALID, `the token was refused: ${(cause as Error).message}`, { cause });
    }
    const user = payload.sub;
    if (typeof user !== 'string' || user === '') throw new HeraldError(ErrorCode.AUTH_INVALID, 'the token has no sub');
    const identity: Identity = { user, permissions: permissionsOf(payload[permissionsClaim], options.defaultPermissions) };
    const name = payload[nameClaim];
    if (typeof name === 'string' && name !== '') identity.name = name;
    if (payload[infoClaim] !== undefined) identity.info = payload[infoClaim];
    if (typeof payload.exp === 'number') identity.expiresAt = payload.exp * 1000;
    return identity;
  };
}

function keyOf(options: JwtAuthenticatorOptions): Promise<Uint8Array | CryptoKey | KeyObject | JWTVerifyGetKey> {
  if (options.jwksUrl !== undefined) return Promise.resolve(createRemoteJWKSet(new URL(options.jwksUrl), options.jwks));
  if (options.secret !== undefined) {
    return Promise.resolve(typeof options.secret === 'string' ? new TextEncoder().encode(options.secret) : options.secret);
  }
  const publicKey = options.publicKey!;
  const alg = options.algorithms[0]!;
  if (typeof publicKey === 'string') return importSPKI(publicKey, alg);
  if (isJwk(publicKey)) return importJWK(publicKey, publicKey.alg ?? alg) as Promise<CryptoKey | Uint8Array>;
  return Promise.resolve(publicKey);
}

function isJwk(key: JWK | CryptoKey | KeyObject): key is JWK {
  return typeof (key as JWK).kty === 'string';
}

/** The permissions claim, checked: `{ allow: { pattern: string[] }, deny?: ... }`; otherwise the defaults. */
function permissionsOf(claim: unknown, defaults: Permissions | undefined): Permissions {
  if (typeof claim !== 'object' || claim === null) return defaults ?? { allow: {} };
  // `caps` is accepted for `allow`: what earlier `herald token` versions and the design notes wrote.
  const { allow, caps, deny } = claim as { allow?: unknown; caps?: unknown; deny?: unknown };
  const allowRules = rulesOf(allow ?? caps);
  if (allowRules === undefined) throw new HeraldError(ErrorCode.AUTH_INVALID, 'the permissions claim must be { allow: { pattern: operations } }');
  const denyRules = deny === undefined ? {} : rulesOf(deny);
  // A deny the claim gets wrong must not turn into "nothing denied": refuse the token instead.
  if (denyRules === undefined) throw new HeraldError(ErrorCode.AUTH_INVALID, 'the permissions claim has a malformed deny');
  return { allow: allowRules, deny: denyRules };
}

function rulesOf(value: unknown): PermissionRules | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const rules: Record<string, string[]> = {};
  for (const [pattern, operations] of Object.entries(value)) {
    if (!Array.isArray(operations) || !operations.every((op) => typeof op === 'string')) return undefined;
    rules[pattern] = operations;
  }
  return rules as PermissionRules;
}
