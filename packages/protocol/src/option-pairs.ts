/**
 * Pairs of number options where one bounds the other (a shortest and a longest delay, a default
 * timeout and the longest allowed): each option may be in its range (option-ranges.ts) and the
 * two still contradict each other. A factory checks its pairs after its ranges and throws
 * `OPTION_INVALID` naming both options and both values, when it is called, not later as a bound
 * that silently wins over a value that was asked for.
 *
 * A value given is never silently overridden by a default: `low` given above `high`'s default is
 * refused, as is `low` given above `high` given. `high` given below `low`'s default is refused too,
 * unless the pair says `lowFollows`: the code already caps `low` by `high` (the default then
 * follows `high` down, which is what setting only the upper bound means).
 */
import { optionInvalid } from './option-ranges.js';

/** Two number options of a factory where `low` must not exceed `high` (`order: 'below'`: must stay under it). */
export interface OptionPair {
  /** The option that must be the smaller, by its dotted path in the options (`reconnect.minDelayMs`). */
  readonly low: string;
  /** The option that bounds it. */
  readonly high: string;
  /** Their defaults, which satisfy the pair. */
  readonly defaults: readonly [low: number, high: number];
  /** `'below'`: `low` < `high` (a heartbeat interval under its timeout); otherwise `low` ≤ `high`. */
  readonly order?: 'below';
  /** With `high` given and `low` not: `low`'s default follows `high` down instead of being refused. */
  readonly lowFollows?: boolean;
}

/**
 * Throws `OPTION_INVALID` at the first of `pairs` that `options` contradict (see {@link OptionPair}),
 * `what` (the factory) first in the message. Check the ranges first: a value that is not a number
 * is left to them.
 */
export function checkOptionPairs(what: string, options: object | undefined, pairs: readonly OptionPair[]): void {
  for (const pair of pairs) {
    const low = valueAt(options, pair.low);
    const high = valueAt(options, pair.high);
    if (low === undefined && (high === undefined || pair.lowFollows === true)) continue;
    const lowValue = low ?? pair.defaults[0];
    const highValue = high ?? pair.defaults[1];
    if (typeof lowValue !== 'number' || typeof highValue !== 'number') continue;
    const below = pair.order === 'below';
    if (below ? lowValue < highValue : lowValue <= highValue) continue;
    if (low !== undefined) {
      throw optionInvalid(what, pair.low, `${below ? 'below' : 'at most'} ${pair.high} (${shown(highValue, high)})`, count(lowValue));
    }
    throw optionInvalid(what, pair.high, `${below ? 'above' : 'at least'} ${pair.low} (${shown(lowValue, low)})`, count(highValue));
  }
}

/** The value at a dotted path of `options`; undefined when a step on the way is not an object (`reconnect: false`). */
function valueAt(options: object | undefined, path: string): unknown {
  let value: unknown = options;
  for (const name of path.split('.')) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Readonly<Record<string, unknown>>)[name];
  }
  return value;
}

function shown(value: number, given: unknown): string {
  return given === undefined ? `${count(value)}, its default` : count(value);
}

function count(n: number): string {
  return n.toLocaleString('en-US');
}
