import type { PeerRef } from './messages.js';

/**
 * What a subscriber is given with each message, on a client (`@herald/client`'s `MessageMeta`
 * adds `replayed`) and in the router's process (`router.subscribe`): the message's place in its
 * topic and who published it when.
 */
export interface MessageMeta {
  topic: string;
  /** Who published it: a client's id and name, or a router's. */
  publisher: PeerRef;
  /** The topic's epoch: offsets are only comparable within one epoch. */
  epoch: string;
  /** The message's sequence number in its topic: +1 per message within an epoch. */
  offset: number;
  /** When the router accepted it. */
  publishedAt: Date;
}
