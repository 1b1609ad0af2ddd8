import { hasWildcard, matchPattern } from '@herald/protocol';
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
import { SubscriptionIndex } from './subscription-index.js';

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
  /** Retained messages from `head` on, oldest first, offsets contiguous. */
  messages: StampedPublication[];
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
  readonly #topics = new Map<string, TopicState>();
  readonly #presence = new Map<string, Map<string, PresenceMember>>();
  readonly #rules: readonly HistoryRule[];
  readonly #now: () => number;
  #listener: EngineListener | undefined;
  #sweeper: ReturnType<typeof setInterval> | undefined;
  /** The last publish time of the topics the sweep forgot: recovery from before it is unsure. */
  #forgottenUntil = Number.NEGATIVE_INFINITY;

  constructor(options: MemoryEngineOptions = {}) {
    const { history = DEFAULT_HISTORY } = options;
    this.#rules = history === false ? [] : Array.isArray(history) ? history : [history as HistoryRule];
    this.#now = options.now ?? Date.now;
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
    const state = this.#state(publication.topic);
    state.offset++;
    state.lastPublishAt = publication.at;
    const stamped: StampedPublication = { ...publication, epoch: state.epoch, offset: state.offset };
    if (state.rule.limit > 0) {
      state.messages.push(stamped);
      this.#trim(state);
    } else {
      state.evictedOffset = state.offset;
      state.evictedAt = publication.at;
    }
    const subscribers = this.#index.match(publication.topic);
    if (subscribers.size > 0) this.#started().onPublication(stamped, subscribers);
    return { epoch: state.epoch, offset: state.offset };
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
        messages: messages.slice(head + Math.max(0, query.after - first + 1)),
        complete: state.evictedOffset <= query.after,
      };
    }
    if ('last' in query) {
      return { epoch: state.epoch, messages: messages.slice(Math.max(head, messages.length - query.last)), complete: true };
    }
    let start = head;
    while (start < messages.length && messages[start]!.at < query.since) start++;
    return { epoch: state.epoch, messages: messages.slice(start), complete: state.evictedAt < query.since };
  }

  /** Topics with no message for an hour (and nothing in their history) are forgotten. */
  remembersSince(since: number): boolean {
    return since > this.#forgottenUntil;
  }

  async topics(pattern: string, since?: number): Promise<string[]> {
    const wanted = (state: TopicState): boolean => {
      this.#trim(state);
      return state.messages.length > state.head || (since !== undefined && state.lastPublishAt >= since);
    };
    if (!hasWildcard(pattern)) {
      const state = this.#topics.get(pattern);
      return state !== undefined && wanted(state) ? [pattern] : [];
    }
    const found: string[] = [];
    for (const [topic, state] of this.#topics) {
      if (matchPattern(pattern, topic) && wanted(state)) found.push(topic);
    }
    return found;
  }

  async close(): Promise<void> {
    clearInterval(this.#sweeper);
    this.#listener = undefined;
  }

  #state(topic: string): TopicState {
    let state = this.#topics.get(topic);
    if (state === undefined) {
      const rule = this.#rules.find((r) => r.pattern === undefined || matchPattern(r.pattern, topic)) ?? NO_HISTORY;
      state = { epoch: randomId(), offset: 0, rule, messages: [], head: 0, evictedOffset: 0, evictedAt: Number.NEGATIVE_INFINITY, lastPublishAt: 0 };
      this.#topics.set(topic, state);
    }
    return state;
  }

  /** Evicts past the rule's count and age; compacts the array once half of it is evicted. */
  #trim(state: TopicState): void {
    const { limit, ttlMs } = state.rule;
    const oldest = this.#now() - ttlMs;
    const { messages } = state;
    while (state.head < messages.length && (messages.length - state.head > limit || messages[state.head]!.at < oldest)) {
      const evicted = messages[state.head]!;
      state.evictedOffset = evicted.offset;
      state.evictedAt = evicted.at;
      state.head++;
    }
    if (state.head > 64 && state.head * 2 > messages.length) {
      state.messages = messages.slice(state.head);
      state.head = 0;
    }
  }

  /** Forgets topics that have nothing in their history and saw no publish for an hour. */
  #sweep(): void {
    const now = this.#now();
    for (const [topic, state] of this.#topics) {
      this.#trim(state);
      if (state.messages.length === state.head && now - state.lastPublishAt > Math.max(IDLE_TOPIC_MS, state.rule.ttlMs)) {
        this.#topics.delete(topic);
        this.#forgottenUntil = Math.max(this.#forgottenUntil, state.lastPublishAt);
      }
    }
  }

  #started(): EngineListener {
    if (this.#listener === undefined) throw new Error('MemoryEngine: start() was not called, or close() was');
    return this.#listener;
  }
}
