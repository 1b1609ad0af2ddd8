/**
 * The in-memory engine's own accounting of what its topics hold (issue #12: a million distinct
 * topics from one client exhausted the heap). Every topic and every message in history is counted
 * at an estimate of what it costs the process; past `maxTopics` or `maxBytes` the engine forgets
 * its least recently published topics. The estimates are deliberately on the high side.
 */
import type { StampedPublication } from './engine.js';

/** Bounds of the in-memory engine's topics; see `MemoryEngineOptions`. */
export interface TopicLimits {
  /** Most topics held (each with its offsets, epoch and history). Default 100,000. */
  maxTopics: number;
  /** Most bytes held by topics and their history, by the engine's estimate. Default 256 MiB. */
  maxBytes: number;
}

export const DEFAULT_TOPIC_LIMITS: TopicLimits = { maxTopics: 100_000, maxBytes: 256 * 1024 * 1024 };

/** What a topic costs with nothing in its history: its state, map entries, trie nodes, epoch. */
const TOPIC_OVERHEAD = 640;
/** What a retained message costs besides its payload and strings: the stamped object, its slot. */
const MESSAGE_OVERHEAD = 160;

/** The estimated cost of holding `topic` with an empty history, in bytes. */
export function topicCost(topic: string): number {
  return TOPIC_OVERHEAD + 2 * topic.length;
}

/** The estimated cost of holding one message in history, in bytes. */
export function messageCost(publication: StampedPublication): number {
  return MESSAGE_OVERHEAD + publication.payload.byteLength + 2 * (publication.from.id.length + publication.from.name.length);
}

/** What the engine holds, by its own accounting (`router.stats().engine`). */
export interface TopicStats {
  /** Topics held. */
  topics: number;
  /** Bytes held by topics and history, by the engine's estimate. */
  bytes: number;
  /** Messages held in history, over all topics. */
  messages: number;
  /** Topics forgotten to stay within `maxTopics`/`maxBytes` (least recently published first). */
  evictions: number;
  /** Topic states examined by pattern lookups (`topics()`) and the idle sweep: work, not time. */
  lookups: number;
  /** Nodes of the subscription index (its memory, counted): bounded by the patterns' segments. */
  subscriptionNodes: number;
  /** Subscription index nodes read to match published topics (their work, counted). */
  matchVisits: number;
}
