import type { Engine, EngineListener, PresenceMember, Publication, Stamp } from './engine.js';
import { randomId } from './ids.js';
import { SubscriptionIndex } from './subscription-index.js';

/**
 * The embedded engine: all routing state in this process. Offsets start at 1 per topic; the epoch
 * is new for every engine, so clients can tell a restarted router's offsets from the old ones.
 */
export class MemoryEngine implements Engine {
  readonly #index = new SubscriptionIndex();
  readonly #offsets = new Map<string, number>();
  readonly #presence = new Map<string, Map<string, PresenceMember>>();
  readonly #epoch = randomId();
  #listener: EngineListener | undefined;

  async start(listener: EngineListener): Promise<void> {
    if (this.#listener !== undefined) throw new Error('MemoryEngine.start: this engine already serves a router');
    this.#listener = listener;
  }

  async subscribe(subscriber: string, pattern: string): Promise<void> {
    this.#index.add(subscriber, pattern);
  }

  async unsubscribe(subscriber: string, pattern: string): Promise<void> {
    this.#index.remove(subscriber, pattern);
  }

  async publish(publication: Publication): Promise<Stamp> {
    const offset = (this.#offsets.get(publication.topic) ?? 0) + 1;
    this.#offsets.set(publication.topic, offset);
    const stamp = { epoch: this.#epoch, offset };
    const subscribers = this.#index.match(publication.topic);
    if (subscribers.size > 0) this.#started().onPublication({ ...publication, ...stamp }, subscribers);
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

  async close(): Promise<void> {
    this.#listener = undefined;
  }

  #started(): EngineListener {
    if (this.#listener === undefined) throw new Error('MemoryEngine: start() was not called, or close() was');
    return this.#listener;
  }
}
