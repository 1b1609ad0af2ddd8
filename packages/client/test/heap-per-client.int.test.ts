/**
 * What a subscribed client holds on the heap (issues 11 and 16): in fan-out, a subscriber process
 * with many clients pays for every byte each time V8 marks its heap, on the GC's helper threads
 * (bench/README, "Client CPU per delivery in fan-out"). A ratchet, not a timed test: heap bytes
 * after full GCs, per client, with the router in another process so that only the clients count.
 * `node --expose-gc bench/dist/client-heap.js` measures the same beside a raw `ws` client.
 */
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { type Client, connect } from '@herald/client';
import { type RouterProcess, spawnRouter } from '@herald/testkit';
import { afterEach, expect, it } from 'vitest';

/**
 * The ratchet. Measured here (after a warm-up): 11.8 KiB per client before the heap cut of
 * 2026-12-07 (closures per event, maps made for features it never used, a dictionary-mode
 * internal object), 7.6-8.4 KiB after it (bench/dist/client-heap.js, without a warm-up: 14.2 and
 * 9.5 KiB; a raw `ws` client 4.2 KiB). Lower it when the client shrinks.
 */
const BUDGET_BYTES_PER_CLIENT = 10 * 1024;
const CLIENTS = 300;
const MESSAGES = 5;
/** Clients opened, subscribed and sent a message before the baseline: code compiled, caches warm. */
const WARM_UP = 50;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

async function heapAfterGc(): Promise<number> {
  for (let i = 0; i < 4; i++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  return process.memoryUsage().heapUsed;
}

let router: RouterProcess | undefined;
const clients: Client[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  await router?.kill();
});

it(`a subscribed client that received messages holds at most ${BUDGET_BYTES_PER_CLIENT} bytes of heap`, async () => {
  router = await spawnRouter(0, { HERALD_NO_ADDRESS_LIMITS: '1' });
  const publisher = await connect(router.url, { reconnect: false });
  clients.push(publisher);
  let received = 0;
  let expected = WARM_UP;
  let allReceived: (() => void) | undefined;
  const onMessage = (): void => {
    if (++received === expected) allReceived?.();
  };
  const opened = async (count: number): Promise<Client[]> => {
    const subscribers: Client[] = [];
    for (let i = 0; i < count; i += 50) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(50, count - i) }, async () => {
          const client = await connect(router!.url, { reconnect: false });
          await client.subscribe('heap.topic', onMessage);
          return client;
        }),
      );
      subscribers.push(...batch);
    }
    clients.push(...subscribers);
    return subscribers;
  };
  const publish = async (messages: number): Promise<void> => {
    const delivered = new Promise<void>((resolve) => (allReceived = resolve));
    for (let seq = 1; seq <= messages; seq++) await publisher.publish('heap.topic', { seq, at: new Date(), text: 'x'.repeat(120) });
    await delivered;
  };
  await opened(WARM_UP);
  await publish(1);

  const before = await heapAfterGc();
  expected = received + (CLIENTS + WARM_UP) * MESSAGES;
  const subscribers = await opened(CLIENTS);
  await publish(MESSAGES);
  const after = await heapAfterGc();

  const perClient = (after - before) / CLIENTS;
  console.log(`heap per subscribed client: ${(perClient / 1024).toFixed(2)} KiB (budget ${BUDGET_BYTES_PER_CLIENT / 1024} KiB, ${CLIENTS} clients)`);
  expect(received).toBe(expected);
  expect(subscribers.every((client) => client.state === 'open')).toBe(true);
  expect(perClient).toBeLessThanOrEqual(BUDGET_BYTES_PER_CLIENT);
});
