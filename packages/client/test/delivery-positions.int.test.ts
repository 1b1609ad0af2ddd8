/**
 * A subscription's position per topic (the last epoch and offset it delivered, kept for recovery
 * and for dropping duplicates; updated in place per message, issue 16): against a scripted router
 * that sends chosen `(epoch, offset)` pairs, a message is delivered once per position, an older or
 * equal offset of the same epoch is dropped, a new epoch starts over (even at a lower offset, and
 * also when it goes back to an earlier epoch), and topics are tracked apart.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { Log } from '@herald/testkit';
import { describe, expect, it } from 'vitest';
import { type WebSocket, WebSocketServer } from 'ws';
import { type MessageMeta, connect } from '../src/index.js';

const SUBPROTOCOL = 'herald.v1.superjson';

/** A fake router: welcomes, confirms subscribes, and lets the test send frames to the one client. */
async function scriptedRouter() {
  const server = new WebSocketServer({
    host: '127.0.0.1',
    port: 0,
    handleProtocols: (offered) => (offered.has(SUBPROTOCOL) ? SUBPROTOCOL : false),
  });
  await once(server, 'listening');
  const subscribed = new Log<string>();
  let client: WebSocket | undefined;
  server.on('connection', (socket) => {
    client = socket;
    socket.on('message', (data) => {
      const header = JSON.parse(String(data).split('\n', 1)[0]!) as { type: string; id?: number; pattern?: string };
      if (header.type === 'hello') {
        socket.send(
          JSON.stringify({
            type: 'welcome',
            version: 1,
            id: 'c1',
            name: 'c1',
            router: { id: 'r1', name: 'scripted' },
            maxPayload: 1024 * 1024,
            heartbeatMs: 0,
            heartbeatTimeoutMs: 0,
          }),
        );
      } else if (header.type === 'subscribe') {
        socket.send(JSON.stringify({ type: 'subscribed', id: header.id, pattern: header.pattern, at: 1 }));
        subscribed.push(header.pattern!);
      }
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}/`,
    subscribed,
    /** A `message` frame in the router's layout, its payload `{"json":{"n":n}}`. */
    send(topic: string, epoch: string, offset: number, n: number): void {
      const header = JSON.stringify({ type: 'message', topic, epoch, offset, at: 1795341600000, from: { id: 'r1', name: 'scripted' } });
      client!.send(`${header}\n${JSON.stringify({ json: { n } })}`);
    },
    async [Symbol.asyncDispose](): Promise<void> {
      client?.terminate();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('subscription positions', () => {
  it('delivers each (epoch, offset) once per topic: same-epoch repeats and older offsets dropped, a new or earlier epoch starts over', async () => {
    await using router = await scriptedRouter();
    await using client = await connect(router.url, { reconnect: false, helloInUpgrade: false });
    const delivered = new Log<string>();
    await client.subscribe('t.*', (data, meta: MessageMeta) => delivered.push(`${meta.topic} ${meta.epoch}:${meta.offset} n=${(data as { n: number }).n}`));
    expect(router.subscribed.values).toEqual(['t.*']);

    const script: Array<[string, string, number]> = [
      ['t.a', 'A', 1],
      ['t.a', 'A', 2],
      ['t.a', 'A', 2], // repeat: dropped
      ['t.a', 'A', 1], // older: dropped
      ['t.b', 'A', 1], // another topic: its own position
      ['t.a', 'A', 3],
      ['t.a', 'B', 1], // new epoch, lower offset: delivered
      ['t.a', 'B', 1], // dropped
      ['t.a', 'B', 2],
      ['t.a', 'A', 4], // back to epoch A: a change of epoch again, delivered
      ['t.a', 'A', 4], // dropped
      ['t.b', 'A', 1], // dropped
      ['t.b', 'A', 2],
      ['t.z', 'A', 1], // the last: once it is here, everything before it was handled (in order)
    ];
    script.forEach(([topic, epoch, offset], n) => router.send(topic, epoch, offset, n));

    expect(await delivered.until(9)).toEqual([
      't.a A:1 n=0',
      't.a A:2 n=1',
      't.b A:1 n=4',
      't.a A:3 n=5',
      't.a B:1 n=6',
      't.a B:2 n=8',
      't.a A:4 n=9',
      't.b A:2 n=12',
      't.z A:1 n=13',
    ]);
    expect(delivered.values).toHaveLength(9);
  });
});
