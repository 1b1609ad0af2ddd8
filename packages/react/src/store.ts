/**
 * What the hooks share per client: one subscription per pattern and one presence view per topic,
 * however many components use them, each with a snapshot for `useSyncExternalStore`.
 *
 * An entry is acquired by the first component that listens and released by the last one. The
 * release waits one microtask: React's StrictMode unmounts and remounts effects synchronously, so
 * the remount takes the entry back before the release happens and nothing reaches the router twice.
 */
import {
  type Client,
  type Delivery,
  HeraldError,
  type Member,
  type MessageMeta,
  type Presence,
  type Subscription,
} from '@herald/client';

/**
 * A shared subscription's state: `idle` (no client yet, or server rendering), `subscribing`
 * (waiting for the router, also after a reconnect until the missed messages were replayed),
 * `subscribed`, `error` (the router refused: `error` says why) or `closed` (the client closed).
 */
export type SubscriptionStatus = 'idle' | 'subscribing' | 'subscribed' | 'error' | 'closed';

/** What `useSubscription` returns. A new object only when something changed. */
export interface SubscriptionSnapshot<T> {
  /** The latest message's payload; `undefined` until one arrived. */
  readonly data: T | undefined;
  /** The latest message's meta (topic, publisher, offset...). */
  readonly meta: MessageMeta | undefined;
  /** The most recent messages, oldest first, at most `keep` of them (empty unless `keep` is set). */
  readonly messages: readonly Delivery<T>[];
  readonly state: SubscriptionStatus;
  /** Why the state is `error`. */
  readonly error: HeraldError | undefined;
}

/** `idle` (no client yet, or server rendering), `watching` (waiting for the members), `ready`, `error` or `closed`. */
export type PresenceStatus = 'idle' | 'watching' | 'ready' | 'error' | 'closed';

/** What `usePresence` returns. */
export interface PresenceSnapshot {
  /** The members, in the order they joined. */
  readonly members: readonly Member[];
  readonly count: number;
  readonly state: PresenceStatus;
  readonly error: HeraldError | undefined;
}

/** The snapshot before any client or on the server: nothing received, nothing subscribed. */
export const IDLE_SUBSCRIPTION: SubscriptionSnapshot<never> = Object.freeze({
  data: undefined,
  meta: undefined,
  messages: Object.freeze([]) as readonly never[],
  state: 'idle',
  error: undefined,
});

export const IDLE_PRESENCE: PresenceSnapshot = Object.freeze({
  members: Object.freeze([]) as readonly Member[],
  count: 0,
  state: 'idle',
  error: undefined,
});

type Listener = () => void;

function asHeraldError(error: unknown): HeraldError {
  return error instanceof HeraldError ? error : new HeraldError('SUBSCRIBER_ERROR', String(error), { cause: error });
}

/**
 * Reference counting with a release one microtask later (see the file's comment). A released entry
 * can start again (React may keep a component's memoized entry across an unmount and remount).
 */
abstract class SharedEntry<Snapshot> {
  readonly #listeners = new Set<Listener>();
  #started = false;
  #releaseScheduled = false;
  /** Bumped at every stop: work started before it checks this and gives up. */
  protected generation = 0;
  protected snapshot: Snapshot;

  constructor(
    initial: Snapshot,
    private readonly registry: { add(): void; remove(): void },
  ) {
    this.snapshot = initial;
  }

  getSnapshot = (): Snapshot => this.snapshot;

  /** For `useSyncExternalStore`: the first listener starts the entry, the last one releases it. */
  subscribe = (listener: Listener): (() => void) => {
    this.#listeners.add(listener);
    if (!this.#started) {
      this.#started = true;
      this.registry.add();
      this.start(this.generation);
    }
    return () => {
      this.#listeners.delete(listener);
      if (this.#listeners.size > 0 || this.#releaseScheduled) return;
      this.#releaseScheduled = true;
      queueMicrotask(() => {
        this.#releaseScheduled = false;
        if (this.#listeners.size > 0 || !this.#started) return;
        this.#started = false;
        this.generation++;
        this.registry.remove();
        this.stop();
      });
    };
  };

  protected update(next: Snapshot): void {
    this.snapshot = next;
    for (const listener of [...this.#listeners]) listener();
  }

  protected abstract start(generation: number): void;
  protected abstract stop(): void;
}

type Registry = { add(): void; remove(): void };

/** One subscription to a pattern, shared by every `useSubscription(pattern)` of a client. */
export class TopicEntry extends SharedEntry<SubscriptionSnapshot<unknown>> {
  #keep: number;
  #subscription: Subscription<unknown> | undefined;
  #offState: (() => void) | undefined;

  constructor(
    private readonly client: Client,
    readonly pattern: string,
    private readonly rewind: number | undefined,
    keep: number,
    registry: Registry,
  ) {
    super({ ...IDLE_SUBSCRIPTION, state: 'subscribing' }, registry);
    this.#keep = keep;
  }

  /** Keeps at least `keep` recent messages from now on (the largest any component asked for). */
  keepAtLeast(keep: number): void {
    if (keep > this.#keep) this.#keep = keep;
  }

  protected start(generation: number): void {
    if (this.snapshot.state !== 'subscribing') this.#set({ state: 'subscribing', error: undefined });
    this.#offState = this.client.on('statechange', (change) => {
      if (change.to === 'reconnecting' && this.snapshot.state === 'subscribed') this.#set({ state: 'subscribing' });
      if (change.to === 'closed' && this.snapshot.state !== 'error') this.#set({ state: 'closed' });
    });
    void this.#subscribe(generation);
  }

  protected stop(): void {
    this.#offState?.();
    const subscription = this.#subscription;
    this.#subscription = undefined;
    void subscription?.unsubscribe().catch(() => undefined);
  }

  async #subscribe(generation: number): Promise<void> {
    try {
      await this.client.opened;
      if (generation !== this.generation) return;
      const options = this.rewind === undefined ? {} : { rewind: this.rewind };
      const subscription = await this.client.subscribe(
        this.pattern,
        (data, meta) => {
          if (generation === this.generation) this.#receive(data, meta);
        },
        options,
      );
      if (generation !== this.generation) {
        await subscription.unsubscribe();
        return;
      }
      this.#subscription = subscription;
      subscription.on('recovery', () => {
        if (subscription.state === 'subscribed' && generation === this.generation) this.#set({ state: 'subscribed' });
      });
      if (this.client.state === 'open') this.#set({ state: 'subscribed' });
    } catch (error) {
      if (generation !== this.generation) return;
      this.#set({ state: this.client.state === 'closed' && this.snapshot.state === 'closed' ? 'closed' : 'error', error: asHeraldError(error) });
    }
  }

  #receive(data: unknown, meta: MessageMeta): void {
    let messages = this.snapshot.messages;
    if (this.#keep > 0) {
      const next = messages.length >= this.#keep ? messages.slice(messages.length - this.#keep + 1) : messages.slice();
      next.push({ data, meta });
      messages = next;
    }
    this.#set({ data, meta, messages });
  }

  #set(change: Partial<SubscriptionSnapshot<unknown>>): void {
    this.update({ ...this.snapshot, ...change });
  }
}

/** One presence view of a topic, shared by every `usePresence(topic)` of a client. */
export class PresenceEntry extends SharedEntry<PresenceSnapshot> {
  #view: Presence | undefined;

  constructor(
    private readonly client: Client,
    readonly topic: string,
    registry: Registry,
  ) {
    super({ ...IDLE_PRESENCE, state: 'watching' }, registry);
  }

  protected start(generation: number): void {
    if (this.snapshot.state !== 'watching') this.update({ ...this.snapshot, state: 'watching', error: undefined });
    void this.#watch(generation);
  }

  protected stop(): void {
    const view = this.#view;
    this.#view = undefined;
    void view?.close().catch(() => undefined);
  }

  async #watch(generation: number): Promise<void> {
    try {
      await this.client.opened;
      if (generation !== this.generation) return;
      const view = await this.client.presence(this.topic);
      if (generation !== this.generation) {
        await view.close();
        return;
      }
      this.#view = view;
      view.on('change', (members) => this.update({ members, count: members.length, state: 'ready', error: undefined }));
      view.on('end', () => {
        if (generation === this.generation) this.update({ ...this.snapshot, state: 'closed' });
      });
      const members = view.members();
      this.update({ members, count: members.length, state: view.isOpen ? 'ready' : 'closed', error: undefined });
    } catch (error) {
      if (generation !== this.generation) return;
      this.update({ ...this.snapshot, state: this.client.state === 'closed' ? 'closed' : 'error', error: asHeraldError(error) });
    }
  }
}

/**
 * The entries of one client, one per pattern (or presence topic): listed when a component first asks
 * (during render, so that components rendered together share it), unlisted when released.
 */
export class HeraldStore {
  readonly #topics = new Map<string, TopicEntry>();
  readonly #presence = new Map<string, PresenceEntry>();

  constructor(private readonly client: Client) {}

  topic(pattern: string, rewind: number | undefined, keep: number): TopicEntry {
    let entry = this.#topics.get(pattern);
    if (entry === undefined) {
      const created: TopicEntry = new TopicEntry(this.client, pattern, rewind, keep, registry(this.#topics, pattern, () => created));
      this.#topics.set(pattern, (entry = created));
    }
    entry.keepAtLeast(keep);
    return entry;
  }

  presence(topic: string): PresenceEntry {
    let entry = this.#presence.get(topic);
    if (entry === undefined) {
      const created: PresenceEntry = new PresenceEntry(this.client, topic, registry(this.#presence, topic, () => created));
      this.#presence.set(topic, (entry = created));
    }
    return entry;
  }
}

/** Lists an entry again when it restarts after a release (a component kept it across a remount). */
function registry<E>(map: Map<string, E>, key: string, self: () => E): Registry {
  return {
    add: () => {
      if (!map.has(key)) map.set(key, self());
    },
    remove: () => {
      if (map.get(key) === self()) map.delete(key);
    },
  };
}

const stores = new WeakMap<Client, HeraldStore>();

/** The store of `client`: one per client, however many providers share it. */
export function storeOf(client: Client): HeraldStore {
  let store = stores.get(client);
  if (store === undefined) stores.set(client, (store = new HeraldStore(client)));
  return store;
}
