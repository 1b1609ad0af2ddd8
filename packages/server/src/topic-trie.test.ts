import { matchPattern } from '@herald/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TopicTrie } from './topic-trie.js';

const segment = fc.constantFrom('a', 'b', 'c');
const topic = fc.array(segment, { minLength: 1, maxLength: 4 }).map((s) => s.join('.'));
const pattern = fc
  .tuple(fc.array(fc.constantFrom('a', 'b', '*'), { minLength: 1, maxLength: 4 }), fc.boolean())
  .map(([s, tail]) => (tail ? [...s, '>'] : s).join('.'));

describe('TopicTrie', () => {
  it('finds exactly the topics matchPattern matches, through adds and deletes', () => {
    fc.assert(
      fc.property(fc.array(topic), fc.array(topic), pattern, (added, deleted, p) => {
        const trie = new TopicTrie();
        const held = new Set<string>();
        for (const t of added) expect(trie.add(t)).toBe(!held.has(t)), held.add(t);
        for (const t of deleted) expect(trie.delete(t)).toBe(held.delete(t));
        expect(trie.size).toBe(held.size);
        expect(trie.match(p).sort()).toEqual([...held].filter((t) => matchPattern(p, t)).sort());
      }),
    );
  });

  it('a literal matches itself only, and clear empties it', () => {
    const trie = new TopicTrie();
    trie.add('a.b');
    trie.add('a.b.c');
    expect(trie.match('a.b')).toEqual(['a.b']);
    expect(trie.match('a.>').sort()).toEqual(['a.b', 'a.b.c']);
    trie.clear();
    expect(trie.match('>')).toEqual([]);
    expect(trie.size).toBe(0);
  });
});
