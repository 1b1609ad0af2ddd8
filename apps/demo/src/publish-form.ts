import type { Client } from '@herald/client';
import { formatClock } from './time-format.js';
import { CHAT_TOPIC } from './topics.js';

/** What the form publishes: every field but `text` needs superjson to keep its type. */
export interface ChatMessage {
  text: string;
  sentAt: Date;
  tags: Map<string, string>;
  seq: bigint;
}

/** The form that publishes a chat message from the browser to `demo.chat`. */
export class PublishForm {
  readonly #form: HTMLFormElement;
  readonly #status: HTMLElement;
  #client: Client | undefined;
  #seq = 0n;

  constructor(form: HTMLFormElement, status: HTMLElement) {
    this.#form = form;
    this.#status = status;
    this.#form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.#send();
    });
    this.setEnabled(false);
  }

  attach(client: Client): void {
    this.#client = client;
    this.setEnabled(client.state !== 'closed');
  }

  setEnabled(enabled: boolean): void {
    for (const control of this.#form.querySelectorAll<HTMLInputElement | HTMLButtonElement | HTMLSelectElement>('input, select, button')) {
      control.disabled = !enabled;
    }
  }

  async #send(): Promise<void> {
    const client = this.#client;
    const data = new FormData(this.#form);
    const text = String(data.get('text') ?? '').trim();
    if (client === undefined || text === '') return;
    this.#seq += 1n;
    const message: ChatMessage = {
      text,
      sentAt: new Date(),
      tags: new Map([
        ['from', client.name],
        ['mood', String(data.get('mood') ?? 'cheerful')],
      ]),
      seq: this.#seq,
    };
    // While reconnecting, the client holds the publish in its offline queue and sends it once back.
    this.#show(client.state === 'open' ? 'sending…' : `#${message.seq} queued: it goes out when the router is back…`, 'pending');
    try {
      const ack = await client.publish(CHAT_TOPIC, message);
      this.#show(`Sent #${message.seq} to ${ack.topic} at ${formatClock(message.sentAt)} (offset ${ack.offset})`, 'ok');
      (this.#form.elements.namedItem('text') as HTMLInputElement | null)?.select();
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      this.#show(`Not sent: ${typeof code === 'string' ? `${code}: ` : ''}${error instanceof Error ? error.message : String(error)}`, 'error');
    }
  }

  #show(text: string, kind: 'pending' | 'ok' | 'error'): void {
    this.#status.textContent = text;
    this.#status.dataset.kind = kind;
  }
}
