/** Shared by the tests of presence after lost events (presence-gap, presence-repair-retry). */
import { ErrorCode, HeraldError } from '@herald/protocol';
import { type Deferred, EngineWrapper, Log } from '@herald/testkit';
import type { EngineListener, PresenceMember } from '../src/index.js';

/**
 * An engine whose presence events can be cut (lost, as over a Pub/Sub connection that is away),
 * and that then says so (`onPresenceGap`), as the Redis engine does when its connection is back.
 * Its `members` reads are logged, and wait for `gate` (after reading, or before: `readFirst`).
 * `fail` reads fail (ENGINE_UNAVAILABLE, as the Redis engine's do when Redis is away); while `down`
 * it reports itself unavailable and every read fails.
 */
export class LosesPresence extends EngineWrapper {
  #listener: EngineListener | undefined;
  cut = false;
  readonly reads = new Log<string>();
  gate: Deferred<void> | undefined;
  readFirst = true;
  /** How many of the next reads fail. */
  fail = 0;
  down = false;

  override get available(): boolean {
    return !this.down;
  }

  override start(listener: EngineListener): Promise<void> {
    this.#listener = listener;
    return this.inner.start({
      onPublication: (publication, subscribers) => listener.onPublication(publication, subscribers),
      onPresence: (event) => (this.cut ? undefined : listener.onPresence(event)),
    });
  }

  override async members(topic: string): Promise<PresenceMember[]> {
    const first = this.readFirst ? await this.inner.members(topic) : undefined;
    this.reads.push(topic);
    await this.gate?.promise;
    if (this.fail > 0 || this.down) {
      if (this.fail > 0) this.fail--;
      throw new HeraldError(ErrorCode.ENGINE_UNAVAILABLE, 'members: unreachable', { retryable: true });
    }
    return first ?? this.inner.members(topic);
  }

  back(): void {
    this.cut = false;
    this.#listener?.onPresenceGap?.();
  }
}
