import {
  type Engine,
  type EngineListener,
  type HistoryPage,
  type HistoryQuery,
  MemoryEngine,
  type PresenceMember,
  type Publication,
  type Stamp,
} from '@herald/server';

/**
 * An Engine that hands every call to another (a MemoryEngine by default): extend it and override
 * the calls a test needs to slow down, count or fail.
 */
export class EngineWrapper implements Engine {
  readonly inner: Engine;

  constructor(inner: Engine = new MemoryEngine()) {
    this.inner = inner;
  }

  get dedupeMs(): number | undefined {
    return this.inner.dedupeMs;
  }
  /** The inner engine's availability (undefined: an engine that is always available). */
  get available(): boolean | undefined {
    return this.inner.available;
  }
  start(listener: EngineListener): Promise<void> {
    return this.inner.start(listener);
  }
  subscribe(subscriber: string, pattern: string): Promise<void> {
    return this.inner.subscribe(subscriber, pattern);
  }
  unsubscribe(subscriber: string, pattern: string): Promise<void> {
    return this.inner.unsubscribe(subscriber, pattern);
  }
  publish(publication: Publication): Promise<Stamp> {
    return this.inner.publish(publication);
  }
  join(topic: string, member: PresenceMember): Promise<void> {
    return this.inner.join(topic, member);
  }
  leave(topic: string, memberId: string, reason: string): Promise<void> {
    return this.inner.leave(topic, memberId, reason);
  }
  members(topic: string): Promise<PresenceMember[]> {
    return this.inner.members(topic);
  }
  history(topic: string, query: HistoryQuery): Promise<HistoryPage> {
    return this.inner.history(topic, query);
  }
  topics(pattern: string, since?: number): Promise<string[]> {
    return this.inner.topics(pattern, since);
  }
  remembersSince(since: number): boolean {
    return this.inner.remembersSince?.(since) ?? true;
  }
  disconnectUser(user: string, reason: string): Promise<void> {
    return this.inner.disconnectUser?.(user, reason) ?? Promise.resolve();
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}
