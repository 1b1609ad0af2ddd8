import { matchPattern } from '@herald/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SubscriptionIndex } from './subscription-index.js';

const sorted = (set: ReadonlySet<string>): string[] => [...set].sort();

describe('SubscriptionIndex', () => {
  it('add and remove report whether they changed anything', () => {
    const index = new SubscriptionIndex();
    expect(index.add('s1', 'a.b')).toBe(true);
    expect(index.add('s1', 'a.b')).toBe(false);
    expect(index.add('s2', 'a.b')).toBe(true);
    expect(index.add('s1', 'a.>')).toBe(true);
    expect(index.remove('s1', 'a.b')).toBe(true);
    expect(index.remove('s1', 'a.b')).toBe(false);
    expect(index.remove('s3', 'a.b')).toBe(false);
    expect(index.remove('s2', 'a.>')).toBe(false);
    expect(index.remove('s1', 'never')).toBe(false);
    expect(sorted(index.match('a.b'))).toEqual(['s1', 's2']);
  });

  it('lists the patterns of a subscriber', () => {
    const index = new SubscriptionIndex();
    expect(sorted(index.patternsOf('s1'))).toEqual([]);
    index.add('s1', 'x.>');
    index.add('s1', 'a.*');
    index.add('s1', 'x.>');
    index.add('s2', 'b');
    expect(sorted(index.patternsOf('s1'))).toEqual(['a.*', 'x.>']);
    expect([...index.patternsOf('s2')]).toEqual(['b']);
    index.remove('s1', 'x.>');
    expect([...index.patternsOf('s1')]).toEqual(['a.*']);
    index.remove('s1', 'a.*');
    expect(index.patternsOf('s1').size).toBe(0);
  });

  it('matches * against exactly one segment', () => {
    const index = new SubscriptionIndex();
    index.add('star', 'a.*');
    index.add('middle', 'a.*.c');
    index.add('lead', '*.b');
    expect(sorted(index.match('a.b'))).toEqual(['lead', 'star']);
    expect(sorted(index.match('a.x.c'))).toEqual(['middle']);
    expect(sorted(index.match('z.b'))).toEqual(['lead']);
    expect(index.match('a').size).toBe(0);
    expect(index.match('a.b.c.d').size).toBe(0);
    expect(index.match('a.x.d').size).toBe(0);
  });

  it('matches > against one or more trailing segments', () => {
    const index = new SubscriptionIndex();
    index.add('tail', 'a.>');
    index.add('all', '>');
    index.add('deep', 'a.*.>');
    expect(sorted(index.match('a'))).toEqual(['all']);
    expect(sorted(index.match('a.b'))).toEqual(['all', 'tail']);
    expect(sorted(index.match('a.b.c'))).toEqual(['all', 'deep', 'tail']);
    expect(sorted(index.match('a.b.c.d.e'))).toEqual(['all', 'deep', 'tail']);
    expect(sorted(index.match('b.a'))).toEqual(['all']);
  });

  it('gives a subscriber with overlapping patterns once', () => {
    const index = new SubscriptionIndex();
    for (const pattern of ['a.b', 'a.*', 'a.>', '>', '*.b', '*.*']) index.add('s1', pattern);
    index.add('s2', 'a.b');
    const matched = index.match('a.b');
    expect(matched.size).toBe(2);
    expect(sorted(matched)).toEqual(['s1', 's2']);
  });

  it('forgets a removed subscription, and keeps the others sharing its path', () => {
    const index = new SubscriptionIndex();
    index.add('s1', 'a.b.c');
    index.add('s2', 'a.b');
    index.add('s3', 'a.*.c');
    index.add('s4', 'a.*');
    index.add('s5', 'a.>');
    index.remove('s1', 'a.b.c');
    index.remove('s4', 'a.*');
    expect(sorted(index.match('a.b.c'))).toEqual(['s3', 's5']);
    expect(sorted(index.match('a.b'))).toEqual(['s2', 's5']);
    index.remove('s2', 'a.b');
    index.remove('s3', 'a.*.c');
    index.remove('s5', 'a.>');
    for (const topic of ['a', 'a.b', 'a.b.c', 'a.x', 'a.x.c']) expect(index.match(topic).size).toBe(0);
    // The pruned paths can be built again.
    expect(index.add('s1', 'a.b.c')).toBe(true);
    expect(sorted(index.match('a.b.c'))).toEqual(['s1']);
  });

  it('does not serve a stale cached answer after add or remove', () => {
    const index = new SubscriptionIndex();
    expect(index.match('a.b').size).toBe(0);
    index.add('s1', 'a.*');
    expect(sorted(index.match('a.b'))).toEqual(['s1']);
    index.add('s2', '>');
    expect(sorted(index.match('a.b'))).toEqual(['s1', 's2']);
    index.remove('s1', 'a.*');
    expect(sorted(index.match('a.b'))).toEqual(['s2']);
    index.remove('s2', '>');
    expect(index.match('a.b').size).toBe(0);
  });

  it('answers correctly past its cache limit', () => {
    const index = new SubscriptionIndex();
    index.add('s1', 't.>');
    for (let i = 0; i < 10_050; i++) expect(index.match(`t.${i}`).size).toBe(1);
    index.add('s2', 't.5');
    expect(sorted(index.match('t.5'))).toEqual(['s1', 's2']);
    expect(sorted(index.match('t.10049'))).toEqual(['s1']);
  });
});

// ---- property: the index agrees with matchPattern, through any sequence of changes ----

const SUBSCRIBERS = ['s1', 's2', 's3', 's4'];
const segment = fc.constantFrom('a', 'b', 'c');
const topicArb = fc.array(segment, { minLength: 1, maxLength: 4 }).map((segments) => segments.join('.'));
const patternArb = fc
  .tuple(fc.array(fc.constantFrom('a', 'b', 'c', '*'), { minLength: 0, maxLength: 4 }), fc.boolean())
  .filter(([segments, tail]) => segments.length > 0 || tail)
  .map(([segments, tail]) => [...segments, ...(tail ? ['>'] : [])].join('.'));

type Op =
  | { kind: 'add'; subscriber: string; pattern: string }
  | { kind: 'remove'; subscriber: string; pattern: string }
  | { kind: 'match'; topic: string };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('add' as const), subscriber: fc.constantFrom(...SUBSCRIBERS), pattern: patternArb }),
  fc.record({ kind: fc.constant('remove' as const), subscriber: fc.constantFrom(...SUBSCRIBERS), pattern: patternArb }),
  fc.record({ kind: fc.constant('match' as const), topic: topicArb }),
);

function expected(model: Map<string, Set<string>>, topic: string): string[] {
  const out: string[] = [];
  for (const [subscriber, patterns] of model) {
    if ([...patterns].some((pattern) => matchPattern(pattern, topic))) out.push(subscriber);
  }
  return out.sort();
}

describe('SubscriptionIndex property', () => {
  it('matches the same subscribers as matchPattern over random subscriptions, topics and removals', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom(...SUBSCRIBERS), patternArb), { maxLength: 30 }),
        fc.array(topicArb, { minLength: 1, maxLength: 10 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        (subscriptions, topics, removals) => {
          const index = new SubscriptionIndex();
          const model = new Map<string, Set<string>>();
          for (const [subscriber, pattern] of subscriptions) {
            const isNew = !(model.get(subscriber)?.has(pattern) ?? false);
            expect(index.add(subscriber, pattern)).toBe(isNew);
            if (!model.has(subscriber)) model.set(subscriber, new Set());
            model.get(subscriber)!.add(pattern);
          }
          for (const topic of topics) expect(sorted(index.match(topic))).toEqual(expected(model, topic));
          for (const pick of removals) {
            if (subscriptions.length === 0) break;
            const [subscriber, pattern] = subscriptions[pick % subscriptions.length]!;
            const had = model.get(subscriber)?.delete(pattern) ?? false;
            expect(index.remove(subscriber, pattern)).toBe(had);
          }
          for (const topic of topics) expect(sorted(index.match(topic))).toEqual(expected(model, topic));
          for (const subscriber of SUBSCRIBERS) {
            expect(sorted(index.patternsOf(subscriber))).toEqual([...(model.get(subscriber) ?? [])].sort());
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('stays in step with matchPattern when changes and lookups interleave (cache invalidation)', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 60 }), (ops) => {
        const index = new SubscriptionIndex();
        const model = new Map<string, Set<string>>();
        for (const op of ops) {
          if (op.kind === 'add') {
            if (!model.has(op.subscriber)) model.set(op.subscriber, new Set());
            const patterns = model.get(op.subscriber)!;
            expect(index.add(op.subscriber, op.pattern)).toBe(!patterns.has(op.pattern));
            patterns.add(op.pattern);
          } else if (op.kind === 'remove') {
            const had = model.get(op.subscriber)?.delete(op.pattern) ?? false;
            expect(index.remove(op.subscriber, op.pattern)).toBe(had);
          } else {
            expect(sorted(index.match(op.topic))).toEqual(expected(model, op.topic));
          }
        }
      }),
      { numRuns: 500 },
    );
  });

  it('a subscription change forgets only the cached answers of the topics its pattern matches', () => {
    const index = new SubscriptionIndex();
    index.add('s1', 'x.>');
    for (const topic of ['x.1', 'y.1', 'z.1', 'z.2']) index.match(topic);
    expect(index.cachedTopics).toBe(4);
    index.add('s2', 'z.*');
    expect(index.cachedTopics).toBe(2);
    expect(sorted(index.match('z.1'))).toEqual(['s2']);
    index.remove('s1', 'x.>');
    expect(index.cachedTopics).toBe(2);
    expect(index.match('x.1').size).toBe(0);
    index.add('s3', '>');
    expect(index.cachedTopics).toBe(0);
  });
});
