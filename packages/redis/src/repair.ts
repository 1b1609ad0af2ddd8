/**
 * Repair: what a node missed while its Pub/Sub connection was away (Redis down, the connection
 * killed by `CLIENT KILL TYPE pubsub` or an output-buffer limit, a wedged connection) comes from
 * the streams, in order, before any live frame that came after it. Live frames that arrive while
 * a repair runs wait for it; the node then drops everything at or below the last position it
 * handed on, so each message reaches the router once.
 *
 * Topics the node followed resume after their last position. Topics it never saw (a pattern
 * subscription's new topic) are read from the topic index: those published since the outage
 * began (less one second of clock skew between routers) are replayed from then.
 */
import type { StampedPublication } from '@herald/server';
import type { RedisEngine } from './redis-engine.js';

/** Routers' clocks may differ this much: topics first seen during an outage are read from this far before it. */
const SKEW_MS = 1000;

export class Repair {
  /** Live frames held while a repair runs; undefined when none runs. */
  #held: StampedPublication[] | undefined;
  #lostAt: number | undefined;
  #running: Promise<void> | undefined;

  constructor(readonly engine: RedisEngine) {}

  /** `sub` is gone: hold live frames from now on, until the repair after the outage. */
  lost(): void {
    this.#lostAt ??= Date.now();
    this.#held ??= [];
  }

  /** A live frame from `sub`. */
  live(publication: StampedPublication): void {
    if (this.#held !== undefined) {
      this.#held.push(publication);
      return;
    }
    if (this.engine.deliver(publication)) return;
    // A gap inside one connection's stream (should not happen: Redis drops Pub/Sub only with the
    // connection): read what is missing first.
    this.#held = [publication];
    void this.#run([publication.topic], undefined);
  }

  /** Redis is back and `sub` resubscribed: repair everything followed, then release live frames. */
  afterOutage(): Promise<void> {
    if (this.#lostAt === undefined) {
      this.#release();
      return Promise.resolve();
    }
    const followed = [...this.engine.seen.keys()].filter((topic) => this.engine.wanted(topic));
    return this.#run(followed, this.#lostAt - SKEW_MS);
  }

  async #run(topics: string[], since: number | undefined): Promise<void> {
    while (this.#running !== undefined) await this.#running;
    const run = this.#repair(topics, since);
    this.#running = run.finally(() => (this.#running = undefined));
    return this.#running;
  }

  async #repair(followed: string[], since: number | undefined): Promise<void> {
    const engine = this.engine;
    try {
      const topics = new Set(followed);
      if (since !== undefined) {
        const fresh = await engine.cmd.zrangebyscore(engine.keys.index, since, '+inf');
        for (const topic of fresh) if (engine.wanted(topic)) topics.add(topic);
      }
      let repaired = 0;
      for (const topic of topics) {
        const seen = engine.seen.get(topic);
        let page = seen === undefined
          ? await engine.history(topic, { since: since ?? 0 })
          : await engine.history(topic, { after: seen.offset, epoch: seen.epoch });
        if (seen !== undefined && !page.complete) {
          // Lost for good (Redis lost data, or history no longer holds it): the subscribers must
          // learn it from their own recovery, so the router makes them reconnect (4201).
          engine.logger.log('warn', 'redis engine: messages this node missed are gone', { topic, epoch: page.epoch ?? null });
          engine.gap(topic);
          if (page.epoch !== undefined && page.epoch !== seen.epoch) page = await engine.history(topic, { last: Number.MAX_SAFE_INTEGER });
        }
        for (const publication of page.messages) {
          const seenBefore = engine.seen.get(topic);
          engine.deliver(publication);
          if (engine.seen.get(topic) !== seenBefore) repaired++;
        }
      }
      engine.counters.repaired += repaired;
      if (repaired > 0) engine.logger.log('info', 'redis engine: repaired from history', { messages: repaired, topics: topics.size });
      this.#lostAt = undefined;
      this.#release();
    } catch (error) {
      // Redis went away again: the next reconnect repairs (frames stay held meanwhile).
      engine.logger.log('warn', 'redis engine: repair failed; retrying after the next reconnect', { error: String(error) });
    }
  }

  /** Hands on the frames held during the repair, dropping what the repair already delivered. */
  #release(): void {
    const held = this.#held ?? [];
    this.#held = undefined;
    for (const publication of held) this.live(publication);
  }
}
