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
 */
import type { PeerRef } from '@herald/protocol';

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
  info?: EncodedValue;
  /** Milliseconds since the Unix epoch. */
  connectedAt: number;
}

export type PresenceEvent =
  | { type: 'join'; topic: string; member: PresenceMember }
  | { type: 'leave'; topic: string; member: PresenceMember; reason: string };

/** What the engine calls back into: the router it serves. */
export interface EngineListener {
  /** A publication for this router, with the ids of its local subscribers that match its topic. */
  onPublication(publication: StampedPublication, subscribers: ReadonlySet<string>): void;
  /** A member joined or left a topic's presence, on any router. */
  onPresence(event: PresenceEvent): void;
}

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
  /** Releases the engine's resources. The router calls it last, from `router.close()`. */
  close(): Promise<void>;
}
