/**
 * `herald token`: a development JWT (HS256, jose) carrying a user and permissions, in the claim
 * layout of the design for Herald's authentication (shared/design, "Claims → identity +
 * permissions"): `sub`, `iss` and `aud` (default `herald`, what `herald serve` expects), and
 * `herald: { allow: { pattern: [operations] }, deny: { … } }` (what `jwtAuthenticator` reads).
 */
import { parseArgs } from 'node:util';
import { SignJWT } from 'jose';
import { UsageError, durationMs, optionError } from './usage.js';

/** The operations a permission names. */
export const OPERATIONS = ['publish', 'subscribe', 'history', 'presence', 'watch', 'call', 'handle', '*'] as const;

/** Reads `sensors.>:subscribe,publish` into `[pattern, operations]`. */
export function permissionFlag(value: string, flag: string): [string, string[]] {
  const at = value.lastIndexOf(':');
  if (at <= 0 || at === value.length - 1) throw optionError(`${flag} takes "pattern:operation[,operation]", e.g. 'sensors.>:subscribe', not "${value}"`, 'token');
  const ops = value.slice(at + 1).split(',').map((op) => op.trim());
  for (const op of ops) {
    if (!(OPERATIONS as readonly string[]).includes(op)) throw optionError(`${flag}: unknown operation "${op}" (one of ${OPERATIONS.join(', ')})`, 'token');
  }
  return [value.slice(0, at), ops];
}

export async function token(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      secret: { type: 'string' },
      'secret-env': { type: 'string' },
      user: { type: 'string' },
      allow: { type: 'string', multiple: true },
      deny: { type: 'string', multiple: true },
      name: { type: 'string' },
      expires: { type: 'string', default: '1h' },
      issuer: { type: 'string', default: 'herald' },
      audience: { type: 'string', default: 'herald' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length > 0) throw new UsageError('token takes no positional arguments', 'token');
  const secret = values.secret ?? process.env[values['secret-env'] ?? 'HERALD_JWT_SECRET'];
  if (secret === undefined || secret === '') throw optionError('token needs --secret (or HERALD_JWT_SECRET)', 'token');
  if (values.user === undefined) throw optionError('token needs --user', 'token');
  const allow: Record<string, string[]> = {};
  for (const rule of values.allow ?? []) {
    const [pattern, ops] = permissionFlag(rule, '--allow');
    allow[pattern] = [...new Set([...(allow[pattern] ?? []), ...ops])];
  }
  const deny: Record<string, string[]> = {};
  for (const d of values.deny ?? []) {
    const [pattern, ops] = permissionFlag(d, '--deny');
    deny[pattern] = [...new Set([...(deny[pattern] ?? []), ...ops])];
  }
  const claims: Record<string, unknown> = { herald: { allow, ...(Object.keys(deny).length > 0 && { deny }) } };
  if (values.name !== undefined) claims.name = values.name;
  let jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(values.user)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + Math.round(durationMs(values.expires, '--expires') / 1000));
  if (values.issuer !== '') jwt = jwt.setIssuer(values.issuer);
  if (values.audience !== '') jwt = jwt.setAudience(values.audience);
  process.stdout.write(`${await jwt.sign(new TextEncoder().encode(secret))}\n`);
  return 0;
}
