/**
 * Topics, patterns and method names are at most 256 characters counted in Unicode code points, the
 * same unit as client names (issue 11: they used to count UTF-16 units, names code points).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from './errors.js';
import { MAX_TOPIC_LENGTH, assertPattern, assertTopic, exceedsCodePoints, methodProblem, patternProblem, topicProblem } from './topic.js';

const rocket = '🚀'; // one code point, two UTF-16 units, four UTF-8 bytes

describe('topic length in code points', () => {
  it('accepts 256 code points whatever their UTF-16 length', () => {
    for (const char of ['x', 'é', '字', rocket]) {
      const topic = char.repeat(MAX_TOPIC_LENGTH);
      expect(topicProblem(topic)).toBeUndefined();
      expect(patternProblem(topic)).toBeUndefined();
      expect(methodProblem(topic)).toBeUndefined();
    }
    expect(rocket.repeat(MAX_TOPIC_LENGTH).length).toBe(512);
  });

  it('refuses 257 code points with TOPIC_INVALID / PATTERN_INVALID', () => {
    for (const char of ['x', 'é', '字', rocket]) {
      const topic = char.repeat(MAX_TOPIC_LENGTH + 1);
      expect(() => assertTopic(topic)).toThrow(expect.objectContaining({ code: ErrorCode.TOPIC_INVALID }));
      expect(() => assertPattern(topic)).toThrow(expect.objectContaining({ code: ErrorCode.PATTERN_INVALID }));
      expect(methodProblem(topic)).toBeDefined();
    }
  });

  it('counts segments and dots alike: 128 segments of one emoji is 255 code points', () => {
    const topic = Array.from({ length: 128 }, () => rocket).join('.');
    expect([...topic].length).toBe(255);
    expect(topicProblem(topic)).toBeUndefined();
    expect(topicProblem(`${topic}.${rocket}`)).toBeDefined();
  });

  it('exceedsCodePoints agrees with counting code points', () => {
    const unit = fc.constantFrom('a', 'é', '字', rocket, '\ud800', '\udc00');
    fc.assert(
      fc.property(fc.array(unit, { maxLength: 40 }), fc.nat(30), (units, max) => {
        const text = units.join('');
        expect(exceedsCodePoints(text, max)).toBe([...text].length > max);
      }),
    );
  });
});
