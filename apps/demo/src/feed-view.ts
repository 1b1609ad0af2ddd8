import type { MessageMeta } from '@herald/client';
import { formatClock } from './time-format.js';
import { renderValue } from './value-view.js';

export interface FeedViewOptions {
  /** How many messages stay on screen; older ones go. Default 50. */
  limit?: number;
}

/**
 * A live list of messages, newest first: `li.feed-item[data-topic][data-offset]` with the topic,
 * the publisher, the time and the value rendered with its types. Used by the page and the widget.
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
    head.append(topic, from, at);

    const body = document.createElement('div');
    body.className = 'feed-body';
    body.append(renderValue(data));
    item.append(head, body);

    this.#list.prepend(item);
    while (this.#list.childElementCount > this.#limit) this.#list.lastElementChild?.remove();
    return item;
  }

  /** Shows only the topics that start with `prefix` (all of them when undefined). */
  setFilter(prefix: string | undefined): void {
    this.#filter = prefix;
    for (const item of this.#list.querySelectorAll<HTMLElement>('.feed-item')) item.hidden = !this.#matches(item.dataset.topic ?? '');
  }

  #matches(topic: string): boolean {
    return this.#filter === undefined || topic.startsWith(this.#filter);
  }
}
