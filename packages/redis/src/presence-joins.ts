/**
 * Presence joins, sent in batches. A subscribe with presence joins the connection's member; in a
 * reconnect storm every moved client resubscribes, and each join was a Redis call of its own (an
 * `EVALSHA` of `JOIN`). The joins asked for in one turn of the event loop now go out at its end
 * (`setImmediate`) as one call of the `JOINS` script, or, while such a call is in flight, once it
 * has answered (so a busy router, whose turns are short next to a Redis round trip, still sends
 * many joins per call; an idle one sends each at the end of its turn): at most
 * {@link MAX_BATCH_JOINS} members or {@link MAX_BATCH_BYTES} bytes per call, a larger batch making
 * several calls, sent together.
 *
 * Each join keeps its own outcome: the script runs every member's join as the one-member `JOIN`
 * script it replaces did, in the order they were asked for (so their events are published in that
 * order), and reports each one's result or error apart; each caller's Promise settles with its
 * own. The store's other presence commands (a leave, a members read) first send the joins waiting
 * (`flush`), so that every command reaches Redis in the order it was called, as the engine
 * contract requires. What a client can make the router hold here is its joins waiting: one per
 * subscribe in progress (at most `maxSubscriptions` per connection, each member of bounded size),
 * each held until the end of its turn or until the call in flight answers (at most the command
 * timeout, 5 s, after which that call fails ENGINE_UNAVAILABLE and the joins waiting go).
 */
// node:timers' own, not the global one: a test's fake timers replace the global setImmediate, and
// a join would then wait for the test to advance its clock.
import { setImmediate } from 'node:timers';
import type { PresenceMember } from '@herald/server';
import type { RedisEngine } from './redis-engine.js';

/** Most members joined by one `JOINS` call. */
export const MAX_BATCH_JOINS = 512;
/** Most bytes (topics, ids and members' JSON) carried by one `JOINS` call, beyond a first member. */
export const MAX_BATCH_BYTES = 1024 * 1024;

interface PendingJoin {
  topic: string;
  id: string;
  json: string;
  resolve: (joined: boolean) => void;
  reject: (error: unknown) => void;
}

export class JoinBatcher {
  #pending: PendingJoin[] = [];
  #scheduled = false;
  /** `JOINS` calls sent and not answered yet. */
  #inFlight = 0;
  /** `JOINS` calls made (Redis round trips) and the joins they carried. */
  readonly counters = { batches: 0, joins: 0 };

  constructor(readonly engine: RedisEngine) {}

  /**
   * Joins `member` to `topic` at the end of this turn (or at the next `flush`). Resolves true when
   * it joined, false when it was there already (or moved here from another node, silently).
   */
  join(topic: string, member: PresenceMember): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      this.#pending.push({ topic, id: member.id, json: JSON.stringify(member), resolve, reject });
      if (this.#scheduled || this.#inFlight > 0) return; // else sent when the call in flight answers
      this.#scheduled = true;
      setImmediate(() => {
        this.#scheduled = false;
        if (this.#inFlight === 0) this.flush();
      });
    });
  }

  /** Sends the joins waiting now (before a command that must reach Redis after them). */
  flush(): void {
    const pending = this.#pending;
    if (pending.length === 0) return;
    this.#pending = [];
    let start = 0;
    let bytes = 0;
    for (let i = 0; i < pending.length; i++) {
      const join = pending[i]!;
      const size = join.topic.length + join.id.length + join.json.length;
      if (i > start && (i - start >= MAX_BATCH_JOINS || bytes + size > MAX_BATCH_BYTES)) {
        this.#send(pending.slice(start, i));
        start = i;
        bytes = 0;
      }
      bytes += size;
    }
    this.#send(pending.slice(start));
  }

  /** One `JOINS` call for `batch`; each join settles with its own result. */
  #send(batch: PendingJoin[]): void {
    const { keys } = this.engine;
    const args: string[] = [keys.node, keys.presenceChannel, keys.prefix];
    for (const join of batch) args.push(join.topic, join.id, join.json);
    this.counters.batches++;
    this.counters.joins += batch.length;
    this.#inFlight++;
    // Without the command connection the call rejects at once (no offline queue): ENGINE_UNAVAILABLE.
    this.engine.run('JOINS', [], args).then(
      (reply) => {
        this.#answered();
        const results = reply as Array<number | string>;
        batch.forEach((join, i) => {
          const result = results[i];
          if (typeof result === 'number') join.resolve(result === 1);
          else join.reject(new Error(`redis engine: presence join failed: ${String(result)}`));
        });
      },
      (error: unknown) => {
        this.#answered();
        for (const join of batch) join.reject(error);
      },
    );
  }

  /** A call answered: the joins that waited for it go now (unless the end of the turn sends them). */
  #answered(): void {
    if (--this.#inFlight === 0 && !this.#scheduled) this.flush();
  }
}
