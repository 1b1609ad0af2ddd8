/**
 * A set of literal topics indexed by segment, so that the topics a pattern matches are found by
 * walking only the branches the pattern can reach, never by testing every topic (issue #12: a
 * wildcard `rewind` scanned every topic the router held).
 */
import { SINGLE_WILDCARD, TAIL_WILDCARD } from '@herald/protocol';

interface Node {
  children: Map<string, Node> | undefined;
  /** Whether a topic ends at this node. */
  terminal: boolean;
}

const newNode = (): Node => ({ children: undefined, terminal: false });

export class TopicTrie {
  readonly #root = newNode();
  #size = 0;

  get size(): number {
    return this.#size;
  }

  /** Adds a topic; returns false when it was there already. */
  add(topic: string): boolean {
    let node = this.#root;
    for (const segment of topic.split('.')) {
      node.children ??= new Map();
      let next = node.children.get(segment);
      if (next === undefined) node.children.set(segment, (next = newNode()));
      node = next;
    }
    if (node.terminal) return false;
    node.terminal = true;
    this.#size++;
    return true;
  }

  /** Removes a topic and prunes the branches left empty; returns false when it was absent. */
  delete(topic: string): boolean {
    const removed = remove(this.#root, topic.split('.'), 0);
    if (removed !== 'absent') this.#size--;
    return removed !== 'absent';
  }

  clear(): void {
    this.#root.children = undefined;
    this.#size = 0;
  }

  /**
   * The topics `pattern` matches (a literal topic matches itself). The work is proportional to the
   * trie nodes the pattern reaches, not to the number of topics held.
   */
  match(pattern: string): string[] {
    const found: string[] = [];
    collect(this.#root, pattern.split('.'), 0, [], found);
    return found;
  }
}

/** Removes the topic below `node`: 'absent', 'kept' (node still used) or 'empty' (prune it). */
function remove(node: Node, segments: string[], i: number): 'absent' | 'kept' | 'empty' {
  if (i === segments.length) {
    if (!node.terminal) return 'absent';
    node.terminal = false;
  } else {
    const child = node.children?.get(segments[i]!);
    if (child === undefined) return 'absent';
    const result = remove(child, segments, i + 1);
    if (result === 'absent') return result;
    if (result === 'empty') {
      node.children!.delete(segments[i]!);
      if (node.children!.size === 0) node.children = undefined;
    }
  }
  return node.terminal || node.children !== undefined ? 'kept' : 'empty';
}

function collect(node: Node, pattern: string[], i: number, path: string[], found: string[]): void {
  if (i === pattern.length) {
    if (node.terminal) found.push(path.join('.'));
    return;
  }
  const segment = pattern[i]!;
  if (node.children === undefined) return;
  if (segment === TAIL_WILDCARD) {
    for (const [name, child] of node.children) everything(child, [...path, name], found);
  } else if (segment === SINGLE_WILDCARD) {
    for (const [name, child] of node.children) collect(child, pattern, i + 1, [...path, name], found);
  } else {
    const child = node.children.get(segment);
    if (child !== undefined) collect(child, pattern, i + 1, [...path, segment], found);
  }
}

/** Every topic at or below `node`. */
function everything(node: Node, path: string[], found: string[]): void {
  if (node.terminal) found.push(path.join('.'));
  if (node.children === undefined) return;
  for (const [name, child] of node.children) everything(child, [...path, name], found);
}
