/**
 * Which subscribers' patterns match a topic: a trie over segments (literal, `*`, `>`), with the
 * answers for recently published topics cached. A subscription change forgets only the cached
 * answers for the topics its pattern matches (found through a trie of the cached topics), not
 * everyone's (issue #12: one client's subscribe flushed every publisher's cache).
 */
import { SINGLE_WILDCARD, TAIL_WILDCARD } from '@herald/protocol';
import { TopicTrie } from './topic-trie.js';

interface Node {
  literal: Map<string, Node>;
  star: Node | undefined;
  /** Subscribers whose pattern ends at this node. */
  here: Set<string>;
  /** Subscribers whose pattern continues with `>` from this node. */
  tail: Set<string>;
}

const newNode = (): Node => ({ literal: new Map(), star: undefined, here: new Set(), tail: new Set() });
const EMPTY: ReadonlySet<string> = new Set();
const CACHE_LIMIT = 10_000;

export class SubscriptionIndex {
  readonly #root = newNode();
  readonly #patterns = new Map<string, Set<string>>();
  #cache = new Map<string, ReadonlySet<string>>();
  readonly #cached = new TopicTrie();
  /** Trie nodes held (the index's memory, counted). */
  nodes = 1;
  /** Trie nodes read by `match` since the index was made (its work, counted). */
  visits = 0;

  /** How many topics have their answer cached. */
  get cachedTopics(): number {
    return this.#cache.size;
  }

  /** Adds a subscription. Returns false when the subscriber already had that pattern. */
  add(subscriber: string, pattern: string): boolean {
    let patterns = this.#patterns.get(subscriber);
    if (patterns?.has(pattern)) return false;
    if (patterns === undefined) this.#patterns.set(subscriber, (patterns = new Set()));
    patterns.add(pattern);
    let node = this.#root;
    const segments = pattern.split('.');
    for (let i = 0; i < segments.length; i++) {
      const segment = segments[i]!;
      if (segment === TAIL_WILDCARD) {
        node.tail.add(subscriber);
        this.#invalidate(pattern);
        return true;
      }
      if (segment === SINGLE_WILDCARD) {
        if (node.star === undefined) this.nodes++;
        node = node.star ??= newNode();
      } else {
        let next = node.literal.get(segment);
        if (next === undefined) {
          node.literal.set(segment, (next = newNode()));
          this.nodes++;
        }
        node = next;
      }
    }
    node.here.add(subscriber);
    this.#invalidate(pattern);
    return true;
  }

  /** Removes a subscription. Returns false when the subscriber did not have that pattern. */
  remove(subscriber: string, pattern: string): boolean {
    const patterns = this.#patterns.get(subscriber);
    if (patterns?.delete(pattern) !== true) return false;
    if (patterns.size === 0) this.#patterns.delete(subscriber);
    this.#invalidate(pattern);
    this.#removePath(this.#root, pattern.split('.'), 0, subscriber);
    return true;
  }

  /** The patterns a subscriber has. */
  patternsOf(subscriber: string): ReadonlySet<string> {
    return this.#patterns.get(subscriber) ?? EMPTY;
  }

  /** The subscribers with at least one pattern matching `topic`, each once. */
  match(topic: string): ReadonlySet<string> {
    const cached = this.#cache.get(topic);
    if (cached !== undefined) return cached;
    const found = new Set<string>();
    this.visits += collect(this.#root, topic.split('.'), 0, found);
    const result = found.size === 0 ? EMPTY : found;
    if (this.#cache.size >= CACHE_LIMIT) {
      this.#cache = new Map();
      this.#cached.clear();
    }
    this.#cache.set(topic, result);
    this.#cached.add(topic);
    return result;
  }

  /** Forgets the cached answers of the topics `pattern` matches: only those can change. */
  #invalidate(pattern: string): void {
    if (this.#cache.size === 0) return;
    for (const topic of this.#cached.match(pattern)) {
      this.#cache.delete(topic);
      this.#cached.delete(topic);
    }
  }

  /** Removes the subscriber from the pattern's node and prunes nodes left empty. Returns whether
   * `node` is now empty. */
  #removePath(node: Node, segments: string[], i: number, subscriber: string): boolean {
    const segment = segments[i];
    if (segment === undefined) node.here.delete(subscriber);
    else if (segment === TAIL_WILDCARD) node.tail.delete(subscriber);
    else if (segment === SINGLE_WILDCARD) {
      if (node.star !== undefined && this.#removePath(node.star, segments, i + 1, subscriber)) {
        node.star = undefined;
        this.nodes--;
      }
    } else {
      const next = node.literal.get(segment);
      if (next !== undefined && this.#removePath(next, segments, i + 1, subscriber)) {
        node.literal.delete(segment);
        this.nodes--;
      }
    }
    return node.here.size === 0 && node.tail.size === 0 && node.star === undefined && node.literal.size === 0;
  }
}

/** Adds the subscribers below `node` matching the topic; returns the nodes it read. */
function collect(node: Node, segments: string[], i: number, found: Set<string>): number {
  if (i === segments.length) {
    for (const id of node.here) found.add(id);
    return 1;
  }
  for (const id of node.tail) found.add(id);
  let visits = 1;
  const next = node.literal.get(segments[i]!);
  if (next !== undefined) visits += collect(next, segments, i + 1, found);
  if (node.star !== undefined) visits += collect(node.star, segments, i + 1, found);
  return visits;
}
