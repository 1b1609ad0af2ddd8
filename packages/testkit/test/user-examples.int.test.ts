/**
 * The README's "service that retries publishes" example, as a test: it must keep working as
 * written (with types).
 */
import { type Client, HeraldError, type PublishAck, connect } from '@herald/client';
import { afterEach, expect, it, vi } from 'vitest';
import { Log, memoryTransport, settle, startMemoryRouter } from '../src/index.js';

const attemptsMade: number[] = [];

async function publishWithRetry(client: Client, topic: string, data: unknown, attempts = 3): Promise<PublishAck> {
  for (let attempt = 1; ; attempt++) {
    attemptsMade.push(attempt);
    try {
      return await client.publish(topic, data);
    } catch (error) {
      if (attempt === attempts || !(error instanceof HeraldError) || !error.retryable) throw error;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}

afterEach(() => vi.useRealTimers());

it('a service that retries publishes: it publishes once the connection is back', async () => {
  const router = await startMemoryRouter();
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
  const net = memoryTransport(router);
  const options = { WebSocket: net.WebSocket, random: () => 0.5 };
  const service = await settle(connect('memory://router', { ...options, name: 'billing' }));
  const audit = await settle(connect('memory://router', { ...options, name: 'audit' }));
  const seen = new Log<unknown>();
  await settle(audit.subscribe('invoices.>', (invoice) => seen.push(invoice)));

  const stop = net.drop((frame) => frame.link === 'billing' && frame.text.startsWith('{"type":"publish"'));
  const sent = publishWithRetry(service, 'invoices.created', { id: 7, total: 120n });
  await vi.advanceTimersByTimeAsync(0);
  stop();
  net.cut('billing');
  await vi.advanceTimersByTimeAsync(1000);
  const ack = await settle(sent);
  expect(ack.topic).toBe('invoices.created');
  expect(attemptsMade).toEqual([1]); // the client resent it after the reconnect: no retry was needed
  expect(await settle(seen.until(1))).toEqual([{ id: 7, total: 120n }]);
  await settle(service.close());
  await settle(audit.close());
  await settle(router.close());
});
