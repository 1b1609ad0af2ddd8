/**
 * A payload without `json` (issue 11, "Exactly compatible"): superjson writes `{}` for a value
 * whose root JSON drops (a function, a symbol) and reads it as undefined. A plain superjson peer
 * publishing it is forwarded, every superjson reader gets undefined and a json subscriber null;
 * an object without `json` that has other members is still refused (PROTOCOL.md section 4).
 * Herald's own encoder writes the same `{}` for those values.
 */
import { connect } from '@herald/client';
import { Log, RawClient, startRouter } from '@herald/testkit';
import { describe, expect, it } from 'vitest';

/** Two subscribers of `fn`: a Herald client (what it receives, in `received`) and a raw client of the json codec. */
async function readersOf(url: string) {
  const reader = await connect(url, { name: 'reader' });
  const received = new Log<unknown>();
  await reader.subscribe('fn', (data) => received.push(data));
  const json = await RawClient.welcomed(url, { name: 'json' }, { protocols: ['herald.v1.json'] });
  json.send({ type: 'subscribe', id: 1, pattern: 'fn' });
  expect(await json.next()).toMatchObject({ type: 'subscribed', id: 1 });
  return {
    received,
    json,
    async [Symbol.asyncDispose](): Promise<void> {
      await json[Symbol.asyncDispose]();
      await reader[Symbol.asyncDispose]();
    },
  };
}

describe('a superjson payload `{}` (a root function or symbol, as superjson writes it)', () => {
  it('is forwarded and read as superjson reads it: undefined for superjson readers, null for json ones', async () => {
    await using router = await startRouter();
    const local = new Log<unknown>();
    await router.subscribe('fn', (data) => local.push(data));
    await using readers = await readersOf(router.url);
    const { received, json } = readers;
    await using peer = await RawClient.welcomed(router.url, { name: 'peer' });

    // superjson.stringify(() => 1) (superjson-codec.test.ts proves it, against the library).
    peer.send({ type: 'publish', id: 1, topic: 'fn' }, '{}');
    expect(await peer.next()).toMatchObject({ type: 'publish_ack', id: 1 });
    expect(await json.next()).toMatchObject({ type: 'message', topic: 'fn', payload: 'null' });

    // Not an envelope superjson writes: refused, nothing delivered.
    peer.send({ type: 'publish', id: 2, topic: 'fn' }, '{"role":"x"}');
    expect(await peer.next()).toMatchObject({ type: 'error', id: 2, code: 'PAYLOAD_INVALID' });
    peer.send({ type: 'publish', id: 3, topic: 'fn' }, '{"json":"after"}');
    expect(await peer.next()).toMatchObject({ type: 'publish_ack', id: 3 });
    expect(await json.next()).toMatchObject({ type: 'message', topic: 'fn', payload: '"after"' });
    // Both messages, in order: `{}` as undefined, then the next one; nothing from the refused publish.
    expect(await received.until(2)).toStrictEqual([undefined, 'after']);
    expect(await local.until(2)).toStrictEqual([undefined, 'after']);
  });

  it('is what Herald writes for a function or a symbol, as superjson does: from a client and from the router', async () => {
    await using router = await startRouter();
    await using readers = await readersOf(router.url);
    const { received, json } = readers;
    await using writer = await connect(router.url, { name: 'writer' });

    await writer.publish('fn', () => 1);
    await router.publish('fn', Symbol('s'));
    await writer.publish('fn', 'after');
    expect(await received.until(3)).toStrictEqual([undefined, undefined, 'after']);
    expect(await json.next()).toMatchObject({ type: 'message', topic: 'fn', payload: 'null' });
    expect(await json.next()).toMatchObject({ type: 'message', topic: 'fn', payload: 'null' });
    expect(await json.next()).toMatchObject({ type: 'message', topic: 'fn', payload: '"after"' });
  });
});
