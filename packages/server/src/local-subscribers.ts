/**
 * In-process subscribers (`router.subscribe`): registered with the engine under ids of their own
 * (`local:N`, which no connection id can be), and given each matching publication decoded once,
 * after the codec's checks, however many of them match.
 */
import { ErrorCode, HeraldError, type MessageMeta } from '@herald/protocol';
import type { Engine, StampedPublication } from './engine.js';
import type { Frames } from './frames.js';
import type { Logger } from './logger.js';

/** Metadata handed to in-process subscribers with each message (a client's, without `replayed`). */
export type { MessageMeta };

export type LocalHandler = (data: unknown, meta: MessageMeta) => void;

export class LocalSubscribers {
  readonly #handlers = new Map<string, LocalHandler>();
  #seq = 0;

  constructor(
    readonly engine: Engine,
    readonly frames: Frames,
    readonly logger: Logger,
    readonly onError: (error: HeraldError) => void,
  ) {}

  async add(pattern: string, handler: LocalHandler): Promise<string> {
    const id = `local:${++this.#seq}`;
    this.#handlers.set(id, handler);
    await this.engine.subscribe(id, pattern).catch((cause: unknown) => {
      this.#handlers.delete(id);
      throw cause;
    });
    return id;
  }

  async remove(id: string, pattern: string): Promise<void> {
    if (!this.#handlers.delete(id)) return;
    await this.engine.unsubscribe(id, pattern);
  }

  /**
   * Hands a publication to the in-process subscribers among `ids`; returns how many got it.
   * Decodes only if one of them is in-process.
   */
  deliver(publication: StampedPublication, ids: readonly string[]): number {
    let decoded: { ok: true; value: unknown } | { ok: false; message: string } | undefined;
    let delivered = 0;
    for (const id of ids) {
      const handler = this.#handlers.get(id);
      if (handler === undefined) continue;
      decoded ??= this.frames.decode(publication);
      if (!decoded.ok) {
        this.logger.log('warn', 'dropped a publication in-process subscribers cannot decode', {
          topic: publication.topic,
          codec: publication.codec,
          error: decoded.message,
        });
        return delivered;
      }
      delivered++;
      try {
        handler(decoded.value, {
          topic: publication.topic,
          publisher: publication.from,
          epoch: publication.epoch,
          offset: publication.offset,
          publishedAt: new Date(publication.at),
        });
      } catch (error) {
        this.logger.log('error', 'an in-process subscriber threw', { topic: publication.topic, error: String(error) });
        this.onError(new HeraldError(ErrorCode.SUBSCRIBER_ERROR, 'an in-process subscriber threw', { cause: error }));
      }
    }
    return delivered;
  }
}
