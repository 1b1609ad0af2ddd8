import type { MessageMeta } from '@herald/client';
import { formatClock } from './time-format.js';
import { renderValue } from './value-view.js';

export interface FeedViewOptions {
  /** How many messages stay on screen; older ones go. Default 50. */
  limit?: number;
}

/**
 * A live list of messages, newest first: `li.feed-item[data-topic][data-offset][data-at]` with the
 * topic, the publisher, the time and the value rendered with its types. Used by the page and the
 * widget. A value with a numeric `seq` (the demo's readings) also gets `data-seq`; a message
 * replayed from the router's history (`meta.replayed`: a rewind, or recovery after a reconnect) gets
 * `data-replayed` and a small "replayed" mark, and takes its place by time (then seq) rather than on top.
 */
export class FeedView {
  readonly #list: HTMLElement;
  readonly #limit: number;
  #filter: string | undefined;
  #received = 0;

  constructor(list: HTMLElement, options: FeedViewOptions = {}) {
    this.#list = list;
    this.#limit = options.limit ?? 50;
  }

  /** Messages received since the view was made. */
  get received(): number {
    return this.#received;
  }

  add(data: unknown, meta: MessageMeta): HTMLElement {
    this.#received += 1;
    const item = document.createElement('li');
    item.className = 'feed-item';
    item.dataset.topic = meta.topic;
    item.dataset.offset = String(meta.offset);
    item.dataset.at = String(meta.publishedAt.getTime());
    const seq = (data as { seq?: unknown } | null)?.seq;
    if (typeof seq === 'number' || typeof seq === 'bigint') item.dataset.seq = String(seq);
    if (meta.replayed) item.dataset.replayed = '';
    item.hidden = !this.#matches(meta.topic);

    const head = document.createElement('div');
    head.className = 'feed-head';
    const topic = document.createElement('span');
    topic.className = 'feed-topic';
    topic.dataset.area = meta.topic.split('.')[1] ?? '';
    topic.textContent = meta.topic;
    const from = document.createElement('span');
    from.className = 'feed-from';
    from.textContent = meta.publisher.name;
    from.title = `publisher ${meta.publisher.id}, offset ${meta.offset}`;
    const at = document.createElement('time');
    at.className = 'feed-at';
    at.dateTime = meta.publishedAt.toISOString();
    at.textContent = formatClock(meta.publishedAt);
    head.append(topic, from);
    if (meta.replayed) {
      const mark = document.createElement('span');
      mark.className = 'feed-replayed';
      mark.textContent = 'replayed';
      mark.title = "missed while away, or published before this page came: replayed from the router's history";
      head.append(mark);
    }
    head.append(at);

    const body = document.createElement('div');
    body.className = 'feed-body';
    body.append(renderValue(data));
    item.append(head, body);

    if (meta.replayed) this.#insertByTime(item);
    else this.#list.prepend(item);
    while (this.#list.childElementCount > this.#limit) this.#list.lastElementChild?.remove();
    return item;
  }

  /** Shows only the topics that start with `prefix` (all of them when undefined). */
  setFilter(prefix: string | undefined): void {
    this.#filter = prefix;
    for (const item of this.#list.querySelectorAll<HTMLElement>('.feed-item')) item.hidden = !this.#matches(item.dataset.topic ?? '');
  }

  /**
   * Newest first, by the router's time: above the first item accepted before it. A replay comes
   * topic by topic, and messages queued by a publisher while the router was away are accepted in
   * the same millisecond: among equal times, a `seq` (when both have one) decides.
   */
  #insertByTime(item: HTMLElement): void {
    const at = Number(item.dataset.at);
    const seq = item.dataset.seq === undefined ? undefined : Number(item.dataset.seq);
    for (const other of this.#list.children as HTMLCollectionOf<HTMLElement>) {
      const otherAt = Number(other.dataset.at);
      const otherSeq = other.dataset.seq === undefined ? undefined : Number(other.dataset.seq);
      if (otherAt < at || (otherAt === at && (seq === undefined || otherSeq === undefined || otherSeq <= seq))) {
        other.before(item);
        return;
      }
    }
    this.#list.append(item);
  }

  #matches(topic: string): boolean {
    return this.#filter === undefined || topic.startsWith(this.#filter);
  }
}
