/**
 * Permissions: which operations an identity may perform on which topics and methods.
 *
 * Rules are patterns (PROTOCOL.md section 5) mapped to operations, in an `allow` and an optional
 * `deny` map. A literal subject (a publish's topic, a called method) is allowed when some allow rule
 * for the operation matches it and no deny rule does. A pattern subject (a subscription, a presence
 * watch) is allowed exactly when every topic it can match is allowed: the allow rules together
 * cover it (segment by segment, `*` and `>` included) and no deny rule intersects it. So `sensors.>`
 * allows subscribing to `sensors.*.temp`, and a deny of `sensors.secret.>` refuses `sensors.>`.
 *
 * Rules may interpolate the identity: `{user}` and `{name}`. A value that is not one valid segment
 * (empty, or containing `.`, `*`, `>`, white space or a control character) makes the rule match
 * nothing, so a user called `*` never turns `user.{user}.>` into `user.*.>`. An unknown placeholder,
 * or a rule that is not a valid pattern after interpolation, matches nothing too.
 */
import { SINGLE_WILDCARD, TAIL_WILDCARD, isPattern } from '@herald/protocol';

/** What a client may do. `history` is rewind and recovery; `presence` is being a member. */
export const OPERATIONS = ['publish', 'subscribe', 'history', 'presence', 'watch', 'call', 'handle'] as const;
export type Operation = (typeof OPERATIONS)[number];

/** Patterns mapped to the operations they allow (or deny); `'*'` stands for every operation. */
export type PermissionRules = Readonly<Record<string, readonly (Operation | '*')[]>>;

/**
 * What an identity may do. Deny rules win over allow rules.
 *
 * @example
 * import type { Permissions } from '@herald/server';
 * const permissions: Permissions = {
 *   allow: { 'sensors.>': ['subscribe', 'history'], 'user.{user}.>': ['*'] },
 *   deny: { 'sensors.secret.>': ['*'] },
 * };
 */
export interface Permissions {
  allow: PermissionRules;
  deny?: PermissionRules;
}

/** Everything, for everyone: what a router without `authenticate` grants by default. */
export const ALLOW_EVERYTHING: Permissions = Object.freeze({ allow: Object.freeze({ '>': Object.freeze(['*'] as const) }) });

/** The values rules may interpolate. */
export interface RuleContext {
  user?: string | undefined;
  name?: string | undefined;
}

/** Work budget of one coverage check: past it, the pattern is refused (fail closed). */
const MAX_STEPS = 10_000;

const SEGMENT_RE = /^[^\s.*>\u0000-\u001f\u007f-\u009f]+$/u;
const PLACEHOLDER_RE = /\{([a-z]+)\}/g;

type Rule = readonly string[];

const ONE: Rule = [SINGLE_WILDCARD];
const ONE_AND_MORE: Rule = [SINGLE_WILDCARD, TAIL_WILDCARD];

/** Permissions compiled for one identity: checks take a subject and answer at once. */
export class CompiledPermissions {
  readonly #allow = new Map<Operation, Rule[]>();
  readonly #deny = new Map<Operation, Rule[]>();
  readonly #everything = new Set<Operation>();

  constructor(permissions: Permissions, context: RuleContext = {}) {
    compileInto(this.#allow, permissions.allow, context);
    if (permissions.deny !== undefined) compileInto(this.#deny, permissions.deny, context);
    // The common case, `>` allowed and nothing denied, answers without splitting the subject.
    for (const [operation, rules] of this.#allow) {
      if (!this.#deny.has(operation) && rules.some((rule) => rule.length === 1 && rule[0] === TAIL_WILDCARD)) this.#everything.add(operation);
    }
  }

  /**
   * Whether `operation` is allowed on `subject`, a topic, method or pattern (assumed valid): every
   * topic the subject can match is matched by an allow rule and by no deny rule.
   */
  allows(operation: Operation, subject: string): boolean {
    if (this.#everything.has(operation)) return true;
    const allow = this.#allow.get(operation);
    if (allow === undefined) return false;
    const segments = subject.split('.');
    for (const rule of this.#deny.get(operation) ?? []) if (intersects(segments, rule)) return false;
    const budget = { steps: 0 };
    return covered(segments, 0, allow.map((rule) => ({ rule, at: 0 })), budget) && budget.steps <= MAX_STEPS;
  }
}

function compileInto(into: Map<Operation, Rule[]>, rules: PermissionRules, context: RuleContext): void {
  for (const [pattern, operations] of Object.entries(rules)) {
    const resolved = interpolate(pattern, context);
    if (resolved === undefined || !isPattern(resolved)) continue;
    const rule = resolved.split('.');
    for (const operation of operations.includes('*') ? OPERATIONS : operations) {
      if (!(OPERATIONS as readonly string[]).includes(operation)) continue;
      let list = into.get(operation as Operation);
      if (list === undefined) into.set(operation as Operation, (list = []));
      list.push(rule);
    }
  }
}

/** The pattern with its placeholders filled in, or undefined when the rule must match nothing. */
export function interpolate(pattern: string, context: RuleContext): string | undefined {
  let invalid = false;
  const resolved = pattern.replace(PLACEHOLDER_RE, (_whole, key: string) => {
    const value = key === 'user' ? context.user : key === 'name' ? context.name : undefined;
    if (value === undefined || !SEGMENT_RE.test(value)) invalid = true;
    return value ?? '';
  });
  return invalid || resolved.includes('{') || resolved.includes('}') ? undefined : resolved;
}

/** Whether some topic matches both patterns (given as segments). */
export function intersects(a: readonly string[], b: readonly string[]): boolean {
  for (let i = 0; ; i++) {
    const x = a[i];
    const y = b[i];
    if (x === TAIL_WILDCARD || y === TAIL_WILDCARD) {
      // `>` takes one or more segments: the other needs at least one segment left here.
      return x !== undefined && y !== undefined;
    }
    if (x === undefined || y === undefined) return x === y;
    if (x !== y && x !== SINGLE_WILDCARD && y !== SINGLE_WILDCARD) return false;
  }
}

interface Cursor {
  rule: Rule;
  /** How many of the rule's segments the subject's prefix has used. */
  at: number;
}

/**
 * Whether every topic matched by `subject` from segment `i` on is matched by one of the rules (each
 * positioned where the subject's prefix left it). A `*` in the subject branches on each literal
 * the rules name at that position, plus one value none of them names; a `>` is `*` followed by
 * either the end or `>` again, which ends once the rules run out of segments.
 */
function covered(subject: readonly string[], i: number, rules: Cursor[], budget: { steps: number }): boolean {
  if (++budget.steps > MAX_STEPS || rules.length === 0) return false;
  const segment = subject[i];
  if (segment === undefined) return rules.some((c) => c.at === c.rule.length);
  if (rules.some((c) => c.rule[c.at] === TAIL_WILDCARD)) return true;
  const live = rules.filter((c) => c.at < c.rule.length);
  if (segment === TAIL_WILDCARD) {
    // One more segment and the end, or one more segment and `>` again: the recursion ends when
    // the rules run out of segments (no rule left covers the longer topics).
    return covered(ONE, 0, live, budget) && covered(ONE_AND_MORE, 0, live, budget);
  }
  if (segment !== SINGLE_WILDCARD) {
    return covered(subject, i + 1, advance(live, segment), budget);
  }
  return everyValue(live, (next) => covered(subject, i + 1, next, budget));
}

/** For each value a `*` can take (each literal the rules name, and one they do not), the rules that take it. */
function everyValue(rules: Cursor[], check: (next: Cursor[]) => boolean): boolean {
  const literals = new Set<string>();
  for (const c of rules) {
    const segment = c.rule[c.at]!;
    if (segment !== SINGLE_WILDCARD) literals.add(segment);
  }
  for (const literal of literals) if (!check(advance(rules, literal))) return false;
  return check(advance(rules, undefined));
}

/** The rules that take `value` (undefined: a value no rule names) as their next segment, moved past it. */
function advance(rules: Cursor[], value: string | undefined): Cursor[] {
  const next: Cursor[] = [];
  for (const c of rules) {
    const segment = c.rule[c.at];
    if (segment === SINGLE_WILDCARD || (value !== undefined && segment === value)) next.push({ rule: c.rule, at: c.at + 1 });
    else if (segment === TAIL_WILDCARD) next.push(c);
  }
  return next;
}
