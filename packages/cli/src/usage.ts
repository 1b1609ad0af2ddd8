/**
 * A mistake on the command line: printed with the command's usage, exit code 2. `code` is
 * `OPTION_INVALID` when a flag (or a config file's value) is refused or missing, as
 * `createRouter`, `connect` and `jwtAuthenticator` code theirs; undefined for a command line of the
 * wrong shape (a missing topic, an extra argument).
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  readonly code: 'OPTION_INVALID' | undefined;
  constructor(
    message: string,
    readonly command?: string,
    code?: 'OPTION_INVALID',
  ) {
    super(message);
    this.code = code;
  }
}

/** A refused or missing option value: a {@link UsageError} with code `OPTION_INVALID`. */
export function optionError(message: string, command?: string): UsageError {
  return new UsageError(message, command, 'OPTION_INVALID');
}

/** Reads a whole number flag; `what` names it in the error. */
export function intFlag(value: string | undefined, what: string, min = 0): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw optionError(`${what} must be a whole number ≥ ${min}, not "${value}"`);
  return n;
}

/** Reads a duration: `500ms`, `30s`, `5m`, `2h`, or plain milliseconds. */
export function durationMs(value: string, what: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim());
  if (match === null) throw optionError(`${what} must be a duration like 500ms, 30s, 5m or 2h, not "${value}"`);
  const scale = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(match[2] ?? 'ms') as 'ms' | 's' | 'm' | 'h'];
  return Math.round(Number(match[1]) * scale);
}
