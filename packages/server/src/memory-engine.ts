import { matchPattern } from '@herald/protocol';
import type {
  Engine,
  EngineListener,
  HistoryPage,
  HistoryQuery,
  HistoryRule,
  PresenceMember,
  Publication,
  Stamp,
  StampedPublication,
} from './engine.js';
import { randomId } from './ids.js';
import { DEFAULT_DEDUPE_MS, DEFAULT_MAX_DEDUPE, PublishDedupe } from './publish-dedupe.js';
import { checkMemoryEngineOptions } from './memory-engine-options.js';
import { SubscriptionIndex } from './subscription-index.js';
import { DEFAULT_TOPIC_LIMITS, type TopicLimits, type TopicStats, messageCost, topicCost } from './topic-budget.js';
import { TopicTrie } from './topic-trie.js';

/** Options of the in-memory engine. */
export interface MemoryEngineOptions {
  /**
   * How long topics keep their messages, for `rewind` and for recovery after a reconnect: one
   * rule, rules by pattern (the first match applies; topics no rule matches keep nothing), or
   * `false` for no history. Default: 100 messages for 5 minutes, on every topic.
   */
  history?: HistoryRule | readonly HistoryRule[] | false;
  /** The clock that ages history, in ms since the Unix epoch. Default `Date.now`. */
  now?: () => number;
  /**
   * Most topics held, each with its offsets and history. Past it the least recently published
   * topic is forgotten (recovery from before its last message then reports a gap). Default 100,000.
   */
  maxTopics?: number;
  /**
   * Most bytes held by topics and their history, by the engine's own estimate (payloads plus a
   * fixed overhead per topic and per message). Past it the least recently published topics are
   * forgotten; a single topic larger than the budget drops its oldest messages. Default 256 MiB.
   */
  maxBytes?: number;
  /**
   * How long a publication's `pid` is remembered (exactly-once publish: the same `pid` on the same
   * topic again returns the original stamp and publishes nothing). Default 120,000 ms.
   */
  dedupeMs?: number;
  /** Most `pid`s remembered; past it the oldest are forgotten before their window ends. Default 100,000. */
  maxDedupe?: number;
}

/** The default history: the last 100 messages of every topic, for 5 minutes. */
export const DEFAULT_HISTORY: HistoryRule = { limit: 100, ttlMs: 5 * 60_000 };

const NO_HISTORY: HistoryRule = { limit: 0, ttlMs: 0 };
/** A topic with nothing in its history and no publish for this long is forgotten (its offsets too). */
const IDLE_TOPIC_MS = 60 * 60_000;

interface TopicState {
  epoch: string;
  offset: number;
  rule: HistoryRule;
  /**
   * Retained messages from `head` on, oldest first, offsets contiguous. Slots before `head` are
   * emptied as messages are evicted, so a topic never holds more than its limit in payloads.
   */
  messages: Array<StampedPublication | undefined>;
  /** What this topic holds, by the budget's estimate, in bytes. */
  bytes: number;
  head: number;
  /** The offset and time of the last message evicted (0 and -Infinity when none). */
  evictedOffset: number;
  evictedAt: number;
  lastPublishAt: number;
}

/**
 * The embedded engine: all routing state in this process. Each topic has its own epoch, new when
 * the topic is first seen in this process, so a restarted router's offsets are never mistaken for
 * the old ones; offsets start at 1.
 */
export class MemoryEngine implements Engine {
  readonly #index = new SubscriptionIndex();
  /** Topics in the order they were last published to: the least recently published first. */
  readonly #topics = new Map<string, TopicState>();
  readonly #trie = new TopicTrie();
  readonly #limits: TopicLimits;
  readonly #stats = { bytes: 0, messages: 0, evictions: 0, lookups: 0 };
  readonly #presence = new Map<string, Map<string, PresenceMember>>();
  readonly #rules: readonly HistoryRule[];
  readonly #now: () => number;
  readonly #dedupe: PublishDedupe;
  #listener: EngineListener | undefined;
  #sweeper: ReturnType<typeof setInterval> | undefined;
  /** The last publish time of the topics the sweep forgot: recovery from before it is unsure. */
  #forgottenUntil = Number.NEGATIVE_INFINITY;

  /** Throws `OPTION_INVALID` (a `HeraldError`) for an option outside its range (README, "Engines"; memory-engine-options.ts). */
  constructor(options: MemoryEngineOptions = {}) {
    checkMemoryEngineOptions(options);
    const { history = DEFAULT_HISTORY } = options;
    this.#rules = history === false ? [] : Array.isArray(history) ? history : [history as HistoryRule];
    this.#now = options.now ?? Date.now;
    this.#dedupe = new PublishDedupe(options.dedupeMs ?? DEFAULT_DEDUPE_MS, options.maxDedupe ?? DEFAULT_MAX_DEDUPE, this.#now);
    this.#limits = {
      maxTopics: options.maxTopics ?? DEFAULT_TOPIC_LIMITS.maxTopics,
      maxBytes: options.maxBytes ?? DEFAULT_TOPIC_LIMITS.maxBytes,
    };
  }

  /** How long a publication's `pid` is remembered, in milliseconds. */
  get dedupeMs(): number {
    return this.#dedupe.windowMs;
  }

  /** What the engine holds, by its own accounting. */
  stats(): TopicStats {
    return { topics: this.#topics.size, ...this.#stats, subscriptionNodes: this.#index.nodes, matchVisits: this.#index.visits };
  }

  async start(listener: EngineListener): Promise<void> {
    if (this.#listener !== undefined) throw new Error('MemoryEngine.start: this engine already serves a router');
    this.#listener = listener;
    this.#sweeper = setInterval(() => this.#sweep(), 60_000);
    this.#sweeper.unref?.();
  }

  async subscribe(subscriber: string, pattern: string): Promise<void> {
    this.#index.add(subscriber, pattern);
  }

  async unsubscribe(subscriber: string, pattern: string): Promise<void> {
    this.#index.remove(subscriber, pattern);
  }

  async publish(publication: Publication): Promise<Stamp> {
    const { pid } = publication;
    if (pid !== undefined) {
      const original = this.#dedupe.seen(publication.topic, pid);
      if (original !== undefined) return original;
    }
    const state = this.#state(publication.topic);
    state.offset++;
    state.lastPublishAt = publication.at;
    const stamped: StampedPublication = { ...publication, epoch: state.epoch, offset: state.offset };
    if (state.rule.limit > 0) {
      state.messages.push(stamped);
      this.#account(state, messageCost(stamped), 1);
      this.#trim(state);
      this.#enforceBudget(state);
    } else {
      state.evictedOffset = state.offset;
      state.evictedAt = publication.at;
    }
    const subscribers = this.#index.match(publication.topic);
    if (subscribers.size > 0) this.#started().onPublication(stamped, subscribers);
    const stamp = { epoch: state.epoch, offset: state.offset };
    if (pid !== undefined) this.#dedupe.remember(publication.topic, pid, stamp);
    return stamp;
  }

  async join(topic: string, member: PresenceMember): Promise<void> {
    let members = this.#presence.get(topic);
    if (members === undefined) this.#presence.set(topic, (members = new Map()));
    if (members.has(member.id)) return;
    members.set(member.id, member);
    this.#started().onPresence({ type: 'join', topic, member });
  }

  async leave(topic: string, memberId: string, reason: string): Promise<void> {
    const members = this.#presence.get(topic);
    const member = members?.get(memberId);
    if (members === undefined || member === undefined) return;
    members.delete(memberId);
    if (members.size === 0) this.#presence.delete(topic);
    this.#started().onPresence({ type: 'leave', topic, member, reason });
  }

  async members(topic: string): Promise<PresenceMember[]> {
    return [...(this.#presence.get(topic)?.values() ?? [])];
  }

  async history(topic: string, query: HistoryQuery): Promise<HistoryPage> {
    const state = this.#topics.get(topic);
    if (state === undefined) return { epoch: undefined, messages: [], complete: !('after' in query) };
    this.#trim(state);
    const { messages, head } = state;
    if ('after' in query) {
      if (query.epoch !== state.epoch) return { epoch: state.epoch, messages: [], complete: false };
      const first = messages[head]?.offset ?? state.offset + 1;
      return {
        epoch: state.epoch,
        messages: held(messages, head + Math.max(0, query.after - first + 1)),
        complete: state.evictedOffset <= query.after,
      };
    }
    if ('last' in query) {
      return { epoch: state.epoch, messages: held(messages, Math.max(head, messages.length - query.last)), complete: true };
    }
    let start = head;
    while (start < messages.length && messages[start]!.at < query.since) start++;
    return { epoch: state.epoch, messages: held(messages, start), complete: state.evictedAt < query.since };
  }

  /**
   * Topics with no message for an hour (and nothing in their history) are forgotten, and so are the
   * least recently published ones past `maxTopics`/`maxBytes`.
   */
  remembersSince(since: number): boolean {
    return since > this.#forgottenUntil;
  }

  async topics(pattern: string, since?: number): Promise<string[]> {
    const found: string[] = [];
    // The trie visits only the topics the pattern can match, never every topic held.
    for (const topic of this.#trie.match(pattern)) {
      const state = this.#topics.get(topic)!;
      this.#stats.lookups++;
      this.#trim(state);
      if (state.messages.length > state.head || (since !== undefined && state.lastPublishAt >= since)) found.push(topic);
    }
    return found;
  }

  /** One router per engine: nobody else to tell (the router closed its own connections). */
  async disconnectUser(_user: string, _reason: string): Promise<void> {}

  async close(): Promise<void> {
    clearInterval(this.#sweeper);
    this.#listener = undefined;
  }

  /** The topic's state, created if new, moved to the most recently published end. */
  #state(topic: string): TopicState {
    let state = this.#topics.get(topic);
    if (state !== undefined) {
      this.#topics.delete(topic);
      this.#topics.set(topic, state);
      return state;
    }
    const rule = this.#rules.find((r) => r.pattern === undefined || matchPattern(r.pattern, topic)) ?? NO_HISTORY;
    state = { epoch: randomId(), offset: 0, rule, messages: [], head: 0, bytes: 0, evictedOffset: 0, evictedAt: Number.NEGATIVE_INFINITY, lastPublishAt: 0 };
    this.#topics.set(topic, state);
    this.#trie.add(topic);
    this.#account(state, topicCost(topic), 0);
    return state;
  }

  #account(state: TopicState, bytes: number, messages: number): void {
    state.bytes += bytes;
    this.#stats.bytes += bytes;
    this.#stats.messages += messages;
  }

  /** Evicts past the rule's count and age; compacts the array once half of it is evicted. */
  #trim(state: TopicState): void {
    const { limit, ttlMs } = state.rule;
    const oldest = this.#now() - ttlMs;
    const { messages } = state;
    while (state.head < messages.length && (messages.length - state.head > limit || messages[state.head]!.at < oldest)) {
      this.#evictOldest(state);
    }
    if (state.head > 64 && state.head * 2 > messages.length) {
      state.messages = messages.slice(state.head);
      state.head = 0;
    }
  }

  /** Drops the topic's oldest retained message, releasing its payload at once (issue #12). */
  #evictOldest(state: TopicState): void {
    const evicted = state.messages[state.head]!;
    state.messages[state.head] = undefined;
    state.head++;
    state.evictedOffset = evicted.offset;
    state.evictedAt = evicted.at;
    this.#account(state, -messageCost(evicted), -1);
  }

  /**
   * Forgets the least recently published topics while the engine holds more than its limits; the
   * topic just published to is kept, and drops its own oldest messages if it alone is too big.
   */
  #enforceBudget(current: TopicState): void {
    const { maxTopics, maxBytes } = this.#limits;
    while (this.#topics.size > maxTopics || this.#stats.bytes > maxBytes) {
      const [topic, state] = this.#topics.entries().next().value as [string, TopicState];
      if (state === current) {
        if (current.head === current.messages.length) return; // nothing left to drop but itself
        this.#evictOldest(current);
        continue;
      }
      this.#forget(topic, state);
      this.#stats.evictions++;
    }
  }

  #forget(topic: string, state: TopicState): void {
    this.#topics.delete(topic);
    this.#trie.delete(topic);
    this.#account(state, -state.bytes, -(state.messages.length - state.head));
    this.#forgottenUntil = Math.max(this.#forgottenUntil, state.lastPublishAt);
  }

  /**
   * Forgets topics that have nothing in their history and saw no publish for an hour. Topics are
   * kept in publish order, so the sweep reads only the ones idle for an hour, not every topic.
   */
  #sweep(): void {
    const now = this.#now();
    for (const [topic, state] of this.#topics) {
      if (now - state.lastPublishAt <= IDLE_TOPIC_MS) break; // every later one is more recent
      this.#stats.lookups++;
      this.#trim(state);
      if (state.messages.length === state.head && now - state.lastPublishAt > Math.max(IDLE_TOPIC_MS, state.rule.ttlMs)) {
        this.#forget(topic, state);
      }
    }
  }

  #started(): EngineListener {
    if (this.#listener === undefined) throw new Error('MemoryEngine: start() was not called, or close() was');
    return this.#listener;
  }
}

/** The messages from `start` on (slots from `head` on are never empty). */
function held(messages: Array<StampedPublication | undefined>, start: number): StampedPublication[] {
  return messages.slice(start) as StampedPublication[];
}
