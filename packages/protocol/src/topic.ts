import { ProtocolError, VERBOSE_ERRORS } from './errors.js';

/**
 * Longest topic, pattern or method name, in Unicode code points (characters: `é`, `字` and `🚀` count
 * one each), the unit client names are counted in too, and what Python's `len()` counts.
 */
export const MAX_TOPIC_LENGTH = 256;

/**
 * Whether `text` has more than `max` code points. Counts only when the UTF-16 length leaves a doubt:
 * a string of at most `max` units has at most `max` code points, one of more than `2 × max` more.
 */
export function exceedsCodePoints(text: string, max: number): boolean {
  // A string's iterator yields code points (a lone surrogate as one of its own).
  return text.length > max && (text.length > 2 * max || [...text].length > max);
}

/** Matches exactly one segment in a pattern. */
export const SINGLE_WILDCARD = '*';
/** Matches one or more trailing segments; only as the last segment of a pattern. */
export const TAIL_WILDCARD = '>';

// A segment is one or more characters other than '.', the wildcards, white space and control
// characters (C0, DEL and C1).
const SEGMENT = String.raw`[^\s.*>\u0000-\u001f\u007f-\u009f]+`;
const TOPIC_RE = new RegExp(`^${SEGMENT}(?:\\.${SEGMENT})*$`, 'u');
const PATTERN_SEGMENT = `(?:${SEGMENT}|\\*)`;
const PATTERN_RE = new RegExp(`^(?:${PATTERN_SEGMENT}(?:\\.${PATTERN_SEGMENT})*(?:\\.>)?|>)$`, 'u');

/** Why `name` is not a valid topic or pattern (`what`), matched by `re`, or undefined when it is. */
function nameProblem(name: unknown, what: 'topic' | 'pattern', re: RegExp): string | undefined {
  if (typeof name !== 'string') return VERBOSE_ERRORS ? `a ${what} must be a string` : '';
  if (name.length === 0) return VERBOSE_ERRORS ? `a ${what} must not be empty` : '';
  if (exceedsCodePoints(name, MAX_TOPIC_LENGTH)) return VERBOSE_ERRORS ? `a ${what} must be at most ${MAX_TOPIC_LENGTH} characters (code points)` : '';
  if (!re.test(name)) {
    if (!VERBOSE_ERRORS) return '';
    return what === 'topic'
      ? `"${name}" is not a topic: use dot-separated segments without '*', '>', spaces or control characters`
      : `"${name}" is not a pattern: '*' must be a whole segment and '>' only the last one`;
  }
  return undefined;
}

/** Why `topic` is not a valid topic, or undefined when it is. */
export function topicProblem(topic: unknown): string | undefined {
  return nameProblem(topic, 'topic', TOPIC_RE);
}

/** Why `pattern` is not a valid pattern, or undefined when it is. */
export function patternProblem(pattern: unknown): string | undefined {
  return nameProblem(pattern, 'pattern', PATTERN_RE);
}

/** Why `method` is not a valid method name (same rules as topics), or undefined when it is. */
export function methodProblem(method: unknown): string | undefined {
  if (typeof method !== 'string') return VERBOSE_ERRORS ? 'a method name must be a string' : '';
  const problem = topicProblem(method);
  return problem === undefined ? undefined : problem.replaceAll('topic', 'method name');
}

/** Whether `topic` is a valid topic (no wildcards). */
export function isTopic(topic: unknown): topic is string {
  return topicProblem(topic) === undefined;
}

/** Whether `pattern` is a valid pattern (a topic, or segments with `*` and a trailing `>`). */
export function isPattern(pattern: unknown): pattern is string {
  return patternProblem(pattern) === undefined;
}

/** Throws a `ProtocolError` with code `TOPIC_INVALID` unless `topic` is valid. */
export function assertTopic(topic: unknown): asserts topic is string {
  const problem = topicProblem(topic);
  if (problem !== undefined) throw new ProtocolError('TOPIC_INVALID', problem);
}

/** Throws a `ProtocolError` with code `PATTERN_INVALID` unless `pattern` is valid. */
export function assertPattern(pattern: unknown): asserts pattern is string {
  const problem = patternProblem(pattern);
  if (problem !== undefined) throw new ProtocolError('PATTERN_INVALID', problem);
}

/** Whether a pattern contains a wildcard segment. */
export function hasWildcard(pattern: string): boolean {
  return pattern.includes(SINGLE_WILDCARD) || pattern.includes(TAIL_WILDCARD);
}

/**
 * Whether `topic` matches `pattern`. Both are assumed valid.
 * `*` matches exactly one segment; a trailing `>` matches one or more segments.
 */
export function matchPattern(pattern: string, topic: string): boolean {
  if (pattern === topic) return true;
  let p = 0;
  let t = 0;
  for (;;) {
    const pEnd = nextDot(pattern, p);
    const segment = pattern.slice(p, pEnd);
    if (segment === TAIL_WILDCARD) return t < topic.length;
    const tEnd = nextDot(topic, t);
    if (segment !== SINGLE_WILDCARD && segment !== topic.slice(t, tEnd)) return false;
    p = pEnd + 1;
    t = tEnd + 1;
    const patternDone = p > pattern.length;
    const topicDone = t > topic.length;
    if (patternDone || topicDone) return patternDone && topicDone;
  }
}

function nextDot(s: string, from: number): number {
  const i = s.indexOf('.', from);
  return i === -1 ? s.length : i;
}
