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
  if (text.length <= max) return false;
  if (text.length > 2 * max) return true;
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    // A high surrogate followed by a low one is one code point (a lone surrogate counts as one).
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
    if (++count > max) return true;
  }
  return false;
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

/** Why `topic` is not a valid topic, or undefined when it is. */
export function topicProblem(topic: unknown): string | undefined {
  if (typeof topic !== 'string') return VERBOSE_ERRORS ? 'a topic must be a string' : '';
  if (topic.length === 0) return VERBOSE_ERRORS ? 'a topic must not be empty' : '';
  if (exceedsCodePoints(topic, MAX_TOPIC_LENGTH)) return VERBOSE_ERRORS ? `a topic must be at most ${MAX_TOPIC_LENGTH} characters (code points)` : '';
  if (!TOPIC_RE.test(topic)) {
    return VERBOSE_ERRORS ? `"${topic}" is not a topic: use dot-separated segments without '*', '>', spaces or control characters` : '';
  }
  return undefined;
}

/** Why `pattern` is not a valid pattern, or undefined when it is. */
export function patternProblem(pattern: unknown): string | undefined {
  if (typeof pattern !== 'string') return VERBOSE_ERRORS ? 'a pattern must be a string' : '';
  if (pattern.length === 0) return VERBOSE_ERRORS ? 'a pattern must not be empty' : '';
  if (exceedsCodePoints(pattern, MAX_TOPIC_LENGTH)) return VERBOSE_ERRORS ? `a pattern must be at most ${MAX_TOPIC_LENGTH} characters (code points)` : '';
  if (!PATTERN_RE.test(pattern)) {
    return VERBOSE_ERRORS ? `"${pattern}" is not a pattern: '*' must be a whole segment and '>' only the last one` : '';
  }
  return undefined;
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
