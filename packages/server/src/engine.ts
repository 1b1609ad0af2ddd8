/**
 * The Engine holds the routing state that must be shared when several routers run as one:
 * subscriptions, presence and per-topic offsets. A router keeps only its connections; everything
 * here may live elsewhere (the in-memory engine keeps it in the process, a Redis engine in Redis).
 *
 * Contract (checked by the conformance suite in @herald/testkit):
 * - `publish` stamps each publication with its topic's `(epoch, offset)`: offsets grow by one per
 *   topic within an epoch; a new epoch means offsets restarted and history cannot be trusted.
 * - Publications reach every router's `onPublication` in the order `publish` was called, per topic,
 *   with the ids of that router's subscribers whose patterns match the topic (each id once).
 * - `subscribe`, `unsubscribe`, `join` and `leave` are idempotent and take effect in call order:
 *   once the Promise of `subscribe` resolves, later publications reach the subscriber.
 * - `join` of a member already present, and `leave` of one absent, change nothing and emit nothing.
 * - `history` returns what `publish` stamped, oldest first, untouched; `complete` is false only when
 *   something asked for is gone (evicted by the history rules, or another epoch).
 */
import type { PeerRef } from '@herald/protocol';
import type { TopicStats } from './topic-budget.js';

/** A publication as the router hands it to the engine. */
export interface Publication {
  topic: string;
  /** The name of the codec the payload is encoded with. */
  codec: string;
  /** The encoded payload, untouched since the publisher sent it. */
  payload: Uint8Array;
  from: PeerRef;
  /** When the router accepted it, in milliseconds since the Unix epoch. */
  at: number;
  /**
   * The publisher's idempotency key, unique per client session. An engine that sees the same
   * `pid` again within its dedupe window (default 120 s) returns the original `Stamp` and
   * publishes nothing.
   */
  pid?: string;
}

/** Where a publication sits in its topic's sequence. */
export interface Stamp {
  epoch: string;
  offset: number;
}

export type StampedPublication = Publication & Stamp;

/** A client's hello info, kept encoded in the codec it was sent with. */
export interface EncodedValue {
  codec: string;
  text: string;
}

/** A member of a topic's presence: a client subscribed to exactly that topic or pattern. */
export interface PresenceMember {
  id: string;
  name: string;
  /** The verified user, on routers with `authenticate`. */
  user?: string;
  info?: EncodedValue;
  /** Milliseconds since the Unix epoch. */
  connectedAt: number;
}

export type PresenceEvent =
  | { type: 'join'; topic: string; member: PresenceMember }
  | { type: 'leave'; topic: string; member: PresenceMember; reason: string };

/** What to read from a topic's history. */
export type HistoryQuery =
  /** The messages after `offset`, when the topic is still in `epoch`. */
  | { after: number; epoch: string }
  /** The last `last` messages. */
  | { last: number }
  /** The messages published at or after `since` (ms since the Unix epoch). */
  | { since: number };

/** A slice of a topic's history, oldest first. */
export interface HistoryPage {
  /** The topic's current epoch; undefined when the engine knows nothing of the topic. */
  epoch: string | undefined;
  messages: StampedPublication[];
  /**
   * False when some of the messages asked for are no longer held (evicted), or, for `after`, the
   * topic is in another epoch (then `messages` is empty).
   */
  complete: boolean;
}

/** How long a topic keeps its messages: the first rule whose pattern matches the topic applies. */
export interface HistoryRule {
  /** The topics the rule is for. Default: every topic. */
  pattern?: string;
  /** Most messages kept per topic; 0 keeps none. */
  limit: number;
  /** Longest a message is kept, in milliseconds. */
  ttlMs: number;
}

/** What the engine calls back into: the router it serves. */
export interface EngineListener {
  /** A publication for this router, with the ids of its local subscribers that match its topic. */
  onPublication(publication: StampedPublication, subscribers: ReadonlySet<string>): void;
  /** A member joined or left a topic's presence, on any router. */
  onPresence(event: PresenceEvent): void;
  /**
   * Messages of `topic` were lost for these local subscribers and cannot be read back (a remote
   * engine lost them while its connection was away): the router closes those clients with 4201
   * (`RESYNC`) so that they reconnect and their recovery reports the gap. Optional.
   */
  onGap?(topic: string, subscribers: ReadonlySet<string>): void;
  /**
   * Presence events may have been lost (a remote engine's event connection was away, and is back):
   * the router reads `members` once per watched topic and repairs its presence watches (each is
   * told the joins and leaves it missed). Call it once the events sent from now on arrive and
   * `members` can be read. Optional.
   */
  onPresenceGap?(): void;
  /** A message for this node's request router from node `from` (see `Engine.route`). Optional. */
  onRouted?(from: string, message: RoutedMessage): void;
  /**
   * Node `node` is gone (it stopped renewing its lease): requests routed to it fail `HANDLER_GONE`,
   * requests it routed here are cancelled. Optional.
   */
  onNodeLost?(node: string): void;
  /**
   * Another router sharing the engine was asked to disconnect `user` (`Engine.disconnectUser`):
   * this router closes its connections of that user with 4102 `AUTH_REVOKED: reason`. Optional.
   */
  onDisconnectUser?(user: string, reason: string): void;
}

/**
 * A message between the request routers of two nodes of a cluster (`Engine.route`): a request for a
 * provider on the target node, its reply, a `nack` (the target has no provider left: try another),
 * or a `cancel` (the caller gave up). `key` is the caller node's id for the request.
 */
export type RoutedMessage =
  | { type: 'request'; key: number; method: string; codec: string; params: string; caller: PeerRef; info?: EncodedValue; timeoutMs: number }
  | { type: 'response'; key: number; codec: string; result: string }
  | { type: 'error'; key: number; code: string; message: string; remote: boolean; data?: EncodedValue; stack?: string }
  | { type: 'nack'; key: number }
  | { type: 'cancel'; key: number; reason: string };

/** Routing state behind a router. See the contract above. */
export interface Engine {
  /** Called once by the router before anything else. */
  start(listener: EngineListener): Promise<void>;
  /** Registers a local subscriber's interest in `pattern`. */
  subscribe(subscriber: string, pattern: string): Promise<void>;
  unsubscribe(subscriber: string, pattern: string): Promise<void>;
  /** Stamps a publication and hands it to every router with matching subscribers. */
  publish(publication: Publication): Promise<Stamp>;
  join(topic: string, member: PresenceMember): Promise<void>;
  leave(topic: string, memberId: string, reason: string): Promise<void>;
  /** The current members of a topic's presence, in the order they joined. */
  members(topic: string): Promise<PresenceMember[]>;
  /** Reads a topic's history (for rewind and for recovery after a reconnect). */
  history(topic: string, query: HistoryQuery): Promise<HistoryPage>;
  /**
   * The topics matching `pattern` that have messages in their history, and, with `since`, also
   * those that had a publish at or after `since` (ms since the Unix epoch) even if it is no longer
   * held: recovery must report those as gaps.
   */
  topics(pattern: string, since?: number): Promise<string[]>;
  /**
   * Whether `topics(pattern, since)` is complete for this `since`: false when the engine has
   * forgotten a topic (to bound its memory) that had messages at or after `since`. Recovery from
   * such a `since` is reported as not recovered. Optional: engines that forget nothing omit it.
   */
  remembersSince?(since: number): boolean;
  /**
   * What the engine holds, by its own accounting (topics, bytes, evictions, lookups), shown by
   * `router.stats().engine`. Optional.
   */
  stats?(): TopicStats;
  /**
   * Whether the engine can serve publishes and subscribes now (false while a Redis engine cannot
   * reach Redis: those calls then reject at once with `ENGINE_UNAVAILABLE`). Engines that are
   * always available omit it. For readiness probes (`router.engineAvailable`).
   */
  readonly available?: boolean;
  /**
   * Records a local client (or, with `undefined`, its departure) for the cluster-wide view of
   * `router.clients({ cluster: true })`. Fire and forget: failures are the engine's to log.
   * Optional: engines that serve one router omit it.
   */
  trackClient?(id: string, client: ClusterClient | undefined): void;
  /** Every client of every router sharing this engine. Optional: one router's engines omit it. */
  clients?(): Promise<ClusterClient[]>;
  /**
   * Requests across routers (optional; engines that serve one router omit all four). `node` is
   * this router's node id; `provide` tells the cluster how many local providers of `method` this
   * node has now (0: none), fire and forget; `remoteProviders` is the engine's mirror of the other
   * nodes' counts for `method` (synchronous: consulted on every request); `route` hands a message to
   * another node's `onRouted` and resolves false when that node is gone (nothing was delivered).
   */
  readonly node?: string;
  /** `peers`: who the first 32 providers are, for the other nodes' `list_methods` (the engine may list fewer). */
  provide?(method: string, providers: number, peers?: readonly PeerRef[]): void;
  remoteProviders?(method: string): ReadonlyMap<string, number>;
  route?(node: string, message: RoutedMessage): Promise<boolean>;
  /**
   * The methods the other nodes provide and who provides them, for `list_methods` (optional). The
   * router rebuilds its method list only when `version` changes.
   */
  remoteMethods?(): RemoteMethods;
  /**
   * How long the engine remembers a publication's `pid` (exactly-once publish), in milliseconds;
   * routers tell clients in `welcome.dedupeMs`. Engines that ignore `pid` omit it.
   */
  readonly dedupeMs?: number;
  /**
   * `router.disconnectUser` for the whole cluster: tells every other router sharing this engine to
   * close `user`'s connections (their listener's `onDisconnectUser`; not this router's own, which
   * closes its connections itself). Resolves once the engine sent the announcement. Optional:
   * engines that serve one router omit it or do nothing.
   */
  disconnectUser?(user: string, reason: string): Promise<void>;
  /** Releases the engine's resources. The router calls it last, from `router.close()`. */
  close(): Promise<void>;
}

/** What the other nodes of a cluster provide (`Engine.remoteMethods`). */
export interface RemoteMethods {
  /** Changes whenever `methods` does. */
  readonly version: number;
  /** Method → its providers on the other nodes. */
  readonly methods: ReadonlyMap<string, readonly PeerRef[]>;
}

/** A client as the cluster-wide view keeps it: its router, and its info still encoded. */
export interface ClusterClient {
  id: string;
  name: string;
  info?: EncodedValue;
  address: string;
  /** Milliseconds since the Unix epoch. */
  connectedAt: number;
  subscriptions: string[];
  /** The router it is connected to. */
  router: PeerRef;
}
