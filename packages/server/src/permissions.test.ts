import { matchPattern } from '@herald/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CompiledPermissions, type Operation, type Permissions, intersects, interpolate } from './permissions.js';

describe('permissions: table', () => {
  const permissions: Permissions = {
    allow: {
      'sensors.>': ['subscribe', 'history', 'watch'],
      'sensors.*.temp': ['publish'],
      'user.{user}.>': ['*'],
      'chat.*': ['subscribe', 'publish', 'presence'],
      'chat.*.>': ['subscribe'],
      'api.>': ['call'],
      'svc.{user}': ['handle'],
    },
    deny: { 'sensors.secret.>': ['*'], 'chat.admin': ['publish'] },
  };
  const alice = new CompiledPermissions(permissions, { user: 'alice' });
  const cases: Array<[Operation, string, boolean]> = [
    ['subscribe', 'sensors.kitchen.temp', true],
    ['subscribe', 'sensors.*.temp', false], // would match sensors.secret.temp
    ['subscribe', 'sensors.kitchen.*', true],
    ['subscribe', 'sensors.kitchen.>', true],
    ['subscribe', 'sensors.>', false], // would match sensors.secret.x
    ['subscribe', 'sensors.secret.key', false],
    ['subscribe', 'sensors.*', true], // sensors.secret alone is not under sensors.secret.>
    ['subscribe', 'sensors.*.>', false],
    ['subscribe', 'sensors', false],
    ['subscribe', '>', false],
    ['history', 'sensors.a.b', true],
    ['history', 'chat.lobby', false],
    ['watch', 'sensors.*.temp', false],
    ['watch', 'sensors.hall.temp', true],
    ['publish', 'sensors.kitchen.temp', true],
    ['publish', 'sensors.kitchen.humidity', false],
    ['publish', 'sensors.secret.temp', false],
    ['publish', 'user.alice.notes', true],
    ['publish', 'user.bob.notes', false],
    ['subscribe', 'user.alice.>', true],
    ['subscribe', 'user.*.>', false],
    ['subscribe', 'chat.>', true], // chat.* and chat.*.> together cover it
    ['subscribe', 'chat.*.*', true],
    ['publish', 'chat.lobby', true],
    ['publish', 'chat.admin', false],
    ['publish', 'chat.lobby.x', false],
    ['presence', 'chat.*', true],
    ['presence', 'chat.>', false],
    ['call', 'api.stats', true],
    ['call', 'admin.reset', false],
    ['handle', 'svc.alice', true],
    ['handle', 'svc.bob', false],
    ['handle', 'api.stats', false],
    ['watch', 'user.alice', false],
    ['watch', 'user.alice.x', true],
  ];
  it.each(cases)('%s %s → %s', (operation, subject, allowed) => {
    expect(alice.allows(operation, subject)).toBe(allowed);
  });

  it('an interpolated value that is not one valid segment makes its rule match nothing', () => {
    for (const user of ['', '*', '>', 'a.b', 'a b', 'x\u0000']) {
      const compiled = new CompiledPermissions(permissions, { user });
      expect(compiled.allows('publish', `user.${user}.notes`)).toBe(false);
      expect(compiled.allows('subscribe', 'user.*.>')).toBe(false);
      expect(compiled.allows('handle', 'svc.x')).toBe(false);
    }
    expect(interpolate('user.{user}.>', {})).toBeUndefined();
    expect(interpolate('user.{nope}.>', { user: 'a' })).toBeUndefined();
    expect(interpolate('user.{user}.{name}', { user: 'a', name: 'b' })).toBe('user.a.b');
  });

  it('"*" grants every operation; a rule that is not a pattern grants nothing', () => {
    const compiled = new CompiledPermissions({ allow: { 'a.>': ['*'], 'b..c': ['*'], 'c.>.d': ['*'] } });
    for (const op of ['publish', 'subscribe', 'history', 'presence', 'watch', 'call', 'handle'] as const) {
      expect(compiled.allows(op, 'a.b')).toBe(true);
      expect(compiled.allows(op, 'c.x.d')).toBe(false);
    }
  });

  it('no rule for an operation allows nothing', () => {
    expect(new CompiledPermissions({ allow: {} }).allows('publish', 'a')).toBe(false);
  });
});

// ---- properties, checked against brute-force enumeration ----

const LETTERS = ['a', 'b'];
/** A segment no rule names: a `*` must be covered for it too. */
const FRESH = 'z';

const patternArb = fc
  .tuple(fc.array(fc.constantFrom(...LETTERS, '*'), { minLength: 1, maxLength: 3 }), fc.boolean())
  .map(([segments, tail]) => (tail ? [...segments, '>'] : segments).join('.'));
const patternOrTail = fc.oneof({ weight: 9, arbitrary: patternArb }, { weight: 1, arbitrary: fc.constant('>') });

function topicsUpTo(length: number): string[] {
  const out: string[] = [];
  let level: string[][] = [[]];
  for (let n = 1; n <= length; n++) {
    level = level.flatMap((prefix) => [...LETTERS, FRESH].map((s) => [...prefix, s]));
    out.push(...level.map((segments) => segments.join('.')));
  }
  return out;
}

describe('permissions: properties', () => {
  it('a subject is allowed exactly when every topic it can match is allowed and none is denied', () => {
    fc.assert(
      fc.property(fc.array(patternOrTail, { maxLength: 4 }), fc.array(patternOrTail, { maxLength: 2 }), patternOrTail, (allow, deny, subject) => {
        const permissions: Permissions = {
          allow: Object.fromEntries(allow.map((p) => [p, ['subscribe'] as const])),
          deny: Object.fromEntries(deny.map((p) => [p, ['subscribe'] as const])),
        };
        const longest = Math.max(...[...allow, ...deny, subject].map((p) => p.split('.').length));
        const topics = topicsUpTo(longest + 1).filter((topic) => matchPattern(subject, topic));
        const expected = topics.every((t) => allow.some((p) => matchPattern(p, t)) && !deny.some((p) => matchPattern(p, t)));
        expect(new CompiledPermissions(permissions).allows('subscribe', subject)).toBe(expected);
      }),
      { numRuns: 2000 },
    );
  });

  it('two patterns intersect exactly when some topic matches both', () => {
    fc.assert(
      fc.property(patternOrTail, patternOrTail, (a, b) => {
        const longest = Math.max(a.split('.').length, b.split('.').length);
        const expected = topicsUpTo(longest + 1).some((t) => matchPattern(a, t) && matchPattern(b, t));
        expect(intersects(a.split('.'), b.split('.'))).toBe(expected);
      }),
      { numRuns: 2000 },
    );
  });
});
