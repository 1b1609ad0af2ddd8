/**
 * Checking a factory's options against a table of their ranges (`createRouter`, `connect`): a
 * value outside its range throws a `HeraldError` with code `OPTION_INVALID` naming the option, the
 * value and the range, when the factory is called, not later as a timer that fires at once or a
 * limit that refuses everything. Each package keeps its own table (router-options.ts,
 * connect-options.ts); the check is shared.
 */
import { HeraldError, VERBOSE_ERRORS } from './errors.js';

/**
 * A number option's range, both ends included: integers only, unless the third element is
 * `'fractions'`. A `max` of `Infinity` accepts `Infinity` itself (e.g. "no limit").
 */
export type OptionRange = readonly [min: number, max: number, fractions?: 'fractions'];

/**
 * What one option accepts: a number in an {@link OptionRange}, one of a list of strings, or (a
 * nested table) an object whose options are checked in turn, or a list of such objects. A nested
 * option may also be a boolean (`false` for "off", where its type allows it: the types, not this
 * table, say which).
 */
export type OptionSpec = OptionRange | readonly string[] | OptionTable;

/** Options by name; options not in the table are not checked here. */
export interface OptionTable {
  readonly [name: string]: OptionSpec;
}

/** The longest delay `setTimeout` and `setInterval` take (2^31 - 1 ms, about 24.8 days); a longer one fires at once. */
export const MAX_TIMER_MS = 2_147_483_647;

/** Whether `value` is in `range` (NaN never is). */
export function inOptionRange(value: unknown, [min, max, fractions]: OptionRange): boolean {
  return (
    typeof value === 'number' && value >= min && value <= max && (fractions === 'fractions' || Number.isInteger(value) || value === Number.POSITIVE_INFINITY)
  );
}

/**
 * Checks `options` against `table`, the factory's name (`what`) first in the message. Throws a
 * `HeraldError` with code `OPTION_INVALID` at the first option out of its range; an option that is
 * `undefined` takes its default and is not checked.
 */
export function checkOptions(what: string, options: object | undefined, table: OptionTable, path = ''): void {
  if (options === undefined) return;
  const values = options as Readonly<Record<string, unknown>>;
  for (const [name, spec] of Object.entries(table)) {
    const value = values[name];
    if (value === undefined) continue;
    const option = path + name;
    if (isNested(spec)) {
      if (typeof value === 'boolean') continue;
      for (const item of Array.isArray(value) ? value : [value]) {
        if (typeof item !== 'object' || item === null) refuse(what, option, value, 'an object');
        checkOptions(what, item as object, spec, `${option}.`);
      }
    } else if (isRange(spec)) {
      if (!inOptionRange(value, spec)) refuse(what, option, value, describeRange(spec));
    } else if (!spec.includes(value as string)) {
      refuse(what, option, value, `one of ${spec.map((word) => JSON.stringify(word)).join(', ')}`);
    }
  }
}

function isNested(spec: OptionSpec): spec is OptionTable {
  return !Array.isArray(spec);
}

function isRange(spec: OptionRange | readonly string[]): spec is OptionRange {
  return typeof spec[0] === 'number';
}

function describeRange([min, max, fractions]: OptionRange): string {
  const count = (n: number): string => (n === Number.POSITIVE_INFINITY ? 'Infinity' : n.toLocaleString('en-US'));
  return `${fractions === 'fractions' ? 'a number' : 'an integer'} from ${count(min)} to ${count(max)}`;
}

function refuse(what: string, option: string, value: unknown, accepted: string): never {
  const shown = typeof value === 'string' ? JSON.stringify(value) : typeof value === 'object' || typeof value === 'function' ? `a ${typeof value}` : String(value);
  throw optionInvalid(what, option, accepted, shown);
}

/**
 * The `OPTION_INVALID` error of an option checked by hand rather than by a table (a codec list, a
 * secret, a choice between options): `what` is the factory or call, `accepted` what it takes, and
 * `shown` what it got, described without quoting a secret (`"a string of 5 bytes"`).
 */
export function optionInvalid(what: string, option: string, accepted: string, shown: string): HeraldError {
  return new HeraldError('OPTION_INVALID', VERBOSE_ERRORS ? `${what}: ${option} must be ${accepted}, not ${shown}` : option);
}
