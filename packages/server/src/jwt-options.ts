/**
 * The checks of `jwtAuthenticator`'s options, made when it is called (not at the first token): a
 * missing or doubled key source, no algorithms, no issuer or audience, or a `clockToleranceMs`
 * outside its range throw `OPTION_INVALID` (a `HeraldError`) naming the option and what it takes,
 * never the secret itself.
 */
import { MAX_TIMER_MS, type OptionSpec, checkOptions, optionInvalid } from '@herald/protocol';
import type { JwtAuthenticatorOptions } from './jwt-authenticator.js';

/** The ranges of `jwtAuthenticator`'s number options. */
export const JWT_OPTION_RANGES = {
  /** Leeway for `exp` and `nbf`: 0 (none) to 2^31 - 1 ms (about 24.8 days). */
  clockToleranceMs: [0, MAX_TIMER_MS],
} as const satisfies { readonly [K in keyof JwtAuthenticatorOptions]?: OptionSpec };

const WHAT = 'jwtAuthenticator';

/** Throws `OPTION_INVALID` at the first option of `options` that `jwtAuthenticator` cannot use. */
export function checkJwtOptions(options: JwtAuthenticatorOptions): void {
  if (typeof options !== 'object' || options === null) throw optionInvalid(WHAT, 'options', 'an object', String(options));
  const given = (['secret', 'publicKey', 'jwksUrl'] as const).filter((name) => options[name] !== undefined);
  if (given.length !== 1) {
    throw optionInvalid(WHAT, 'secret', 'given with exactly one of secret, publicKey or jwksUrl', given.length === 0 ? 'none' : given.join(' and '));
  }
  const { secret, algorithms } = options;
  if (secret !== undefined && (typeof secret === 'string' || secret instanceof Uint8Array ? secret.length === 0 : true)) {
    // A secret: its kind and length only.
    throw optionInvalid(WHAT, 'secret', 'a non-empty string or Uint8Array', typeof secret === 'string' || secret instanceof Uint8Array ? 'an empty one' : kind(secret));
  }
  if (!Array.isArray(algorithms) || algorithms.length === 0 || !algorithms.every((name) => typeof name === 'string' && name !== '')) {
    throw optionInvalid(WHAT, 'algorithms', 'a non-empty list of algorithm names (e.g. ["RS256"])', Array.isArray(algorithms) ? JSON.stringify(algorithms) : kind(algorithms));
  }
  for (const name of ['issuer', 'audience'] as const) {
    const value = options[name];
    const valid = typeof value === 'string' ? value !== '' : Array.isArray(value) && value.length > 0 && value.every((item) => typeof item === 'string' && item !== '');
    if (!valid) throw optionInvalid(WHAT, name, 'a non-empty string or list of them', typeof value === 'string' ? '""' : Array.isArray(value) ? JSON.stringify(value) : kind(value));
  }
  checkOptions(WHAT, options, JWT_OPTION_RANGES);
}

function kind(value: unknown): string {
  return value === null || value === undefined ? String(value) : `a ${typeof value}`;
}
