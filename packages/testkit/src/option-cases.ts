/**
 * Test cases for a factory's option ranges (`@herald/protocol`'s `checkOptions` tables: the
 * router's ROUTER_OPTION_RANGES, the client's CONNECT_OPTION_RANGES): for every option, the values
 * its range takes (both ends) and values it must refuse with `OPTION_INVALID`; and for every pair of
 * options where one bounds the other (`OptionPair`: ROUTER_OPTION_PAIRS...), the combinations to take and refuse.
 */
import type { OptionPair, OptionRange, OptionSpec, OptionTable } from '@herald/protocol';

/** One option of a table, by its dotted path (`limits.publishes.perSec`). */
export interface OptionCase {
  readonly path: string;
  /** Values in range: both ends, a fraction where fractions are taken, every word of a list. */
  readonly accepted: readonly unknown[];
  /** Values out of range: past both ends, NaN, infinities, a fraction where integers are meant, a string... */
  readonly refused: readonly unknown[];
}

/** The cases of every option of `table`, nested tables included (their own refused values too: not objects). */
export function optionCases(table: OptionTable, prefix = ''): OptionCase[] {
  const cases: OptionCase[] = [];
  for (const [name, spec] of Object.entries(table)) {
    const path = prefix + name;
    if (!Array.isArray(spec)) {
      cases.push({ path, accepted: [], refused: [5, 'on', null] });
      cases.push(...optionCases(spec as OptionTable, `${path}.`));
    } else if (typeof spec[0] === 'number') {
      cases.push({ path, ...rangeCases(spec as unknown as OptionRange) });
    } else {
      const words = spec as unknown as readonly string[];
      cases.push({ path, accepted: words, refused: [words[0]!.toUpperCase(), '', 1, null] });
    }
  }
  return cases;
}

function rangeCases([min, max, fractions]: OptionRange): Pick<OptionCase, 'accepted' | 'refused'> {
  const accepted: unknown[] = [min, max];
  const refused: unknown[] = [Number.NaN, Number.NEGATIVE_INFINITY, String(min), null, true];
  refused.push(fractions === undefined ? min - 1 : min > 0 ? min / 2 : -0.5);
  if (Number.isFinite(max)) refused.push(max + 1, max * 2, Number.POSITIVE_INFINITY);
  if (Number.isFinite(max) && max < Number.MAX_SAFE_INTEGER) refused.push(Number.MAX_SAFE_INTEGER);
  if (fractions === undefined && min + 0.5 <= max) refused.push(min + 0.5);
  if (fractions !== undefined) accepted.push((min + Math.min(max, 1000)) / 2);
  return { accepted, refused };
}

/**
 * Options with `value` at `path` (`limits.publishes.perSec`), and every other option of the nested
 * objects on the way at the low end of its range (`burst: 1`), so that the whole object is valid
 * when `value` is.
 */
export function optionsAt(table: OptionTable, path: string, value: unknown): Record<string, unknown> {
  const [name, ...rest] = path.split('.');
  const spec: OptionSpec | undefined = table[name!];
  if (rest.length === 0 || spec === undefined || Array.isArray(spec)) return { [name!]: value };
  const nested = spec as OptionTable;
  const siblings: Record<string, unknown> = {};
  for (const [key, sibling] of Object.entries(nested)) if (Array.isArray(sibling)) siblings[key] = sibling[0];
  return { [name!]: { ...siblings, ...optionsAt(nested, rest.join('.'), value) } };
}

/** The names of the number options of `Options` (optional ones included). */
type NumberOptionNames<Options> = { [K in keyof Options]-?: number extends Extract<NonNullable<Options[K]>, number> ? K : never }[keyof Options];

/**
 * The number options of `Options` that `Table` gives no range: `never` when the table covers them
 * all. A test asserts it at compile time:
 * `const covered: UncheckedNumberOptions<O, typeof TABLE> extends never ? true : false = true;`.
 */
export type UncheckedNumberOptions<Options, Table> = Exclude<NumberOptionNames<Options>, keyof Table>;

/** One case of an option pair (`@herald/protocol`'s `OptionPair`): options, and whether the factory takes them. */
export interface OptionPairCase {
  readonly label: string;
  readonly options: Record<string, unknown>;
  readonly taken: boolean;
}

/**
 * The cases of a pair: both options given (equal, in order, out of order), `low` given alone
 * against `high`'s default, and `high` given alone against `low`'s default (taken below it only
 * when `low`'s default follows `high`).
 */
export function optionPairCases(pair: OptionPair): OptionPairCase[] {
  const { low, high, defaults } = pair;
  const [lowDefault, highDefault] = defaults;
  const below = pair.order === 'below';
  const follows = pair.lowFollows === true;
  const at = (values: Record<string, number>): Record<string, unknown> => {
    const options: Record<string, unknown> = {};
    for (const [path, value] of Object.entries(values)) setAt(options, path, value);
    return options;
  };
  return [
    { label: `${low} = ${high}`, options: at({ [low]: highDefault, [high]: highDefault }), taken: !below },
    { label: `${low} one above ${high}`, options: at({ [low]: highDefault + 1, [high]: highDefault }), taken: false },
    { label: `${low} one below ${high}`, options: at({ [low]: highDefault - 1, [high]: highDefault }), taken: true },
    { label: `${low} alone, at ${high}'s default`, options: at({ [low]: highDefault }), taken: !below },
    { label: `${low} alone, one above ${high}'s default`, options: at({ [low]: highDefault + 1 }), taken: false },
    { label: `${high} alone, at ${low}'s default`, options: at({ [high]: lowDefault }), taken: !below || follows },
    { label: `${high} alone, one below ${low}'s default`, options: at({ [high]: lowDefault - 1 }), taken: follows },
    { label: 'both defaults', options: {}, taken: true },
  ];
}

function setAt(options: Record<string, unknown>, path: string, value: unknown): void {
  const [name, ...rest] = path.split('.');
  if (rest.length === 0) {
    options[name!] = value;
    return;
  }
  const nested = (options[name!] ??= {}) as Record<string, unknown>;
  setAt(nested, rest.join('.'), value);
}
