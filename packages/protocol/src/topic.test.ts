import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorCode, ProtocolError } from './errors.js';
import {
  MAX_TOPIC_LENGTH,
  assertPattern,
  assertTopic,
  hasWildcard,
  isPattern,
  isTopic,
  matchPattern,
  patternProblem,
  topicProblem,
} from './topic.js';

/** What `f` threw, or undefined when it returned. */
function thrownBy(f: () => void): unknown {
  try {
    f();
  } catch (error) {
    return error;
  }
  return undefined;
}

function expectProtocolError(error: unknown, code: string): void {
  expect(error).toBeInstanceOf(ProtocolError);
  expect((error as ProtocolError).code).toBe(code);
}

/** Reference matcher: split both on '.', compare segment arrays. */
function referenceMatch(pattern: string, topic: string): boolean {
  const p = pattern.split('.');
  const t = topic.split('.');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return i === p.length - 1 && t.length > i;
    if (i >= t.length) return false;
    if (p[i] !== '*' && p[i] !== t[i]) return false;
  }
  return p.length === t.length;
}

const VALID_TOPICS: readonly string[] = [
  'a',
  'a.b',
  'a.b.c',
  'sensors.kitchen.temp',
  'A-b_c:d/e@f#g+h',
  '0.1.2',
  'café.crème',
  '日本.東京',
  '🎉.party',
  'x'.repeat(MAX_TOPIC_LENGTH),
  `${'a.'.repeat(127)}ab`,
];

const INVALID_TOPICS: ReadonlyArray<[label: string, topic: unknown]> = [
  ['empty', ''],
  ['too long', 'x'.repeat(MAX_TOPIC_LENGTH + 1)],
  ['too long with segments', `${'a.'.repeat(128)}a`],
  ['empty segment', 'a..b'],
  ['leading dot', '.a'],
  ['trailing dot', 'a.'],
  ['only a dot', '.'],
  ['space inside', 'a b'],
  ['leading space', ' a'],
  ['trailing space', 'a '],
  ['tab', 'a\tb'],
  ['line feed', 'a\nb'],
  ['carriage return', 'a\rb'],
  ['no-break space', 'a\u00a0b'],
  ['ideographic space', 'a\u3000b'],
  ['line separator', 'a\u2028b'],
  ['NUL', 'a\u0000b'],
  ['unit separator', 'a\u001fb'],
  ['DEL', 'a\u007fb'],
  ['star alone', '*'],
  ['star in a segment', 'a*'],
  ['star segment', 'a.*'],
  ['tail wildcard alone', '>'],
  ['tail wildcard last', 'a.>'],
  ['gt inside a segment', 'a>b'],
  ['number', 42],
  ['null', null],
  ['undefined', undefined],
  ['array', ['a']],
  ['object', { topic: 'a' }],
];

const VALID_PATTERNS: readonly string[] = [
  ...VALID_TOPICS,
  '*',
  '>',
  'a.*',
  '*.b',
  'a.*.c',
  '*.*',
  'a.>',
  '*.>',
  'a.*.>',
  '日本.*',
  `${'*.'.repeat(127)}>`,
];

const INVALID_PATTERNS: ReadonlyArray<[label: string, pattern: unknown]> = [
  ['empty', ''],
  ['too long', 'x'.repeat(MAX_TOPIC_LENGTH + 1)],
  ['too long with wildcards', `${'*.'.repeat(128)}>`],
  ['empty segment', 'a..b'],
  ['leading dot', '.a'],
  ['trailing dot', 'a.'],
  ['trailing dot after star', '*.'],
  ['star glued before', 'a*'],
  ['star glued after', '*a'],
  ['star inside a segment', 'a.b*c'],
  ['double star', '**'],
  ['tail not last', 'a.>.b'],
  ['tail first then more', '>.a'],
  ['double tail', '>>'],
  ['tail glued', 'a>'],
  ['tail after a glued star', 'a.*>'],
  ['two tails', 'a.>.>'],
  ['space', 'a b.*'],
  ['control character', 'a.\u0000'],
  ['tab', '*\t.>'],
  ['number', 7],
  ['null', null],
  ['undefined', undefined],
];

describe('topics', () => {
  it.each(VALID_TOPICS)('accepts the topic %j', (topic) => {
    expect(topicProblem(topic)).toBeUndefined();
    expect(isTopic(topic)).toBe(true);
    expect(() => assertTopic(topic)).not.toThrow();
  });

  it.each(INVALID_TOPICS)('refuses a topic: %s', (_label, topic) => {
    expect(topicProblem(topic)).toBeTypeOf('string');
    expect(isTopic(topic)).toBe(false);
    expectProtocolError(
      thrownBy(() => assertTopic(topic)),
      ErrorCode.TOPIC_INVALID,
    );
  });

  // Unicode category Cc is U+0000–U+001F and U+007F–U+009F; topic.ts only excludes the first two ranges.
  it('refuses C1 control characters (U+0080–U+009F) in topics and patterns', () => {
    for (const text of ['a\u0080b', 'a\u0085b', 'a\u009fb']) {
      expect({ text, topic: isTopic(text), pattern: isPattern(text) }).toStrictEqual({ text, topic: false, pattern: false });
    }
  });
});

describe('patterns', () => {
  it.each(VALID_PATTERNS)('accepts the pattern %j', (pattern) => {
    expect(patternProblem(pattern)).toBeUndefined();
    expect(isPattern(pattern)).toBe(true);
    expect(() => assertPattern(pattern)).not.toThrow();
  });

  it.each(INVALID_PATTERNS)('refuses a pattern: %s', (_label, pattern) => {
    expect(patternProblem(pattern)).toBeTypeOf('string');
    expect(isPattern(pattern)).toBe(false);
    expectProtocolError(
      thrownBy(() => assertPattern(pattern)),
      ErrorCode.PATTERN_INVALID,
    );
  });

  it.each([
    ['a.b', false],
    ['*', true],
    ['>', true],
    ['a.*.c', true],
    ['a.>', true],
  ] as const)('hasWildcard(%j) is %s', (pattern, expected) => {
    expect(hasWildcard(pattern)).toBe(expected);
  });
});

describe('matchPattern', () => {
  const cases: ReadonlyArray<[pattern: string, topic: string, matches: boolean]> = [
    ['a.b', 'a.b', true],
    ['a.b', 'a.c', false],
    ['a.b', 'a', false],
    ['a', 'a.b', false],
    ['a.b', 'a.b.c', false],
    ['a.b', 'a.bc', false],
    ['a.bc', 'a.b', false],
    ['ab', 'a.b', false],
    ['*', 'a', true],
    ['*', 'a.b', false],
    ['a.*', 'a.b', true],
    ['a.*', 'a', false],
    ['a.*', 'a.b.c', false],
    ['a.*', 'b.a', false],
    ['*.b', 'a.b', true],
    ['*.b', 'a.c', false],
    ['a.*.c', 'a.x.c', true],
    ['a.*.c', 'a.x.y.c', false],
    ['a.*.c', 'a.c', false],
    ['*.*', 'a.b', true],
    ['*.*', 'a', false],
    ['>', 'a', true],
    ['>', 'a.b.c', true],
    ['a.>', 'a', false],
    ['a.>', 'a.b', true],
    ['a.>', 'a.b.c.d', true],
    ['a.>', 'b.c', false],
    ['a.>', 'ab.c', false],
    ['a.>', 'abc', false],
    ['ab.>', 'a.b', false],
    ['a.b.>', 'a.b', false],
    ['a.b.>', 'a.b.c', true],
    ['*.>', 'a', false],
    ['*.>', 'a.b', true],
    ['a.*.>', 'a.b', false],
    ['a.*.>', 'a.b.c', true],
    ['日本.*', '日本.東京', true],
    ['日本.*', '日本', false],
  ];

  it.each(cases)('matchPattern(%j, %j) is %s', (pattern, topic, expected) => {
    expect(matchPattern(pattern, topic)).toBe(expected);
    expect(referenceMatch(pattern, topic)).toBe(expected);
  });
});

// ---- properties ----

const segmentChar = fc.constantFrom('a', 'b', 'Z', '0', '-', '_', ':', 'é', '日', '🎉');
const segment = fc.string({ unit: segmentChar, minLength: 1, maxLength: 6 });
const topicArb = fc
  .array(segment, { minLength: 1, maxLength: 8 })
  .map((segments) => segments.join('.'))
  .filter((topic) => topic.length <= MAX_TOPIC_LENGTH);

/** Topics and patterns over a tiny alphabet, so that matches actually happen. */
const smallTopic = fc.array(fc.constantFrom('a', 'b', 'c'), { minLength: 1, maxLength: 4 }).map((s) => s.join('.'));
const smallPattern = fc.oneof(
  fc.constant('>'),
  fc
    .tuple(fc.array(fc.constantFrom('a', 'b', 'c', '*'), { minLength: 1, maxLength: 4 }), fc.boolean())
    .map(([segments, tail]) => (tail ? [...segments, '>'] : segments).join('.')),
);

describe('topic properties', () => {
  it('every generated topic is a valid topic and pattern, and matches itself', () => {
    fc.assert(
      fc.property(topicArb, (topic) => {
        expect(isTopic(topic)).toBe(true);
        expect(isPattern(topic)).toBe(true);
        expect(matchPattern(topic, topic)).toBe(true);
      }),
    );
  });

  it('every valid topic is a valid pattern, for arbitrary strings', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), topicArb), (text) => {
        if (isTopic(text)) expect(isPattern(text)).toBe(true);
      }),
    );
  });

  it('matchPattern agrees with a segment-array reference implementation', () => {
    let matches = 0;
    let runs = 0;
    fc.assert(
      fc.property(smallPattern, smallTopic, (pattern, topic) => {
        expect(isPattern(pattern)).toBe(true);
        const expected = referenceMatch(pattern, topic);
        expect(matchPattern(pattern, topic)).toBe(expected);
        runs++;
        if (expected) matches++;
      }),
      { numRuns: 2000 },
    );
    // The alphabet is small on purpose: both outcomes must be exercised.
    expect(matches).toBeGreaterThan(runs / 50);
    expect(matches).toBeLessThan(runs);
  });

  it('replacing any one segment with * still matches, and * never matches an extra segment', () => {
    fc.assert(
      fc.property(
        fc.array(segment, { minLength: 1, maxLength: 8 }),
        fc.nat(),
        (segments, at) => {
          const topic = segments.join('.');
          const pattern = segments.map((s, i) => (i === at % segments.length ? '*' : s)).join('.');
          expect(isPattern(pattern)).toBe(true);
          expect(matchPattern(pattern, topic)).toBe(true);
          expect(matchPattern(pattern, `${topic}.x`)).toBe(false);
        },
      ),
    );
  });

  it('replacing a suffix of one or more segments with > still matches, and > needs at least one segment', () => {
    fc.assert(
      fc.property(fc.array(segment, { minLength: 1, maxLength: 8 }), fc.nat(), (segments, at) => {
        const keep = at % segments.length;
        const topic = segments.join('.');
        const pattern = [...segments.slice(0, keep), '>'].join('.');
        expect(isPattern(pattern)).toBe(true);
        expect(matchPattern(pattern, topic)).toBe(true);
        if (keep > 0) expect(matchPattern(pattern, segments.slice(0, keep).join('.'))).toBe(false);
      }),
    );
  });

  it('assertTopic and assertPattern throw exactly when the value is invalid, with the right code', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), topicArb, smallPattern), (text) => {
        const topicError = thrownBy(() => assertTopic(text));
        if (topicProblem(text) === undefined) expect(topicError).toBeUndefined();
        else expectProtocolError(topicError, ErrorCode.TOPIC_INVALID);
        const patternError = thrownBy(() => assertPattern(text));
        if (patternProblem(text) === undefined) expect(patternError).toBeUndefined();
        else expectProtocolError(patternError, ErrorCode.PATTERN_INVALID);
      }),
    );
  });
});
