/**
 * Frame once (issue 16): a publish to N subscribers of one codec builds one WebSocket frame and
 * writes its bytes to every socket. It relies on `ws` internals (src/frame-once.ts); the first
 * tests fail, and say so, when `ws` changes them: the router then falls back to `socket.send()`
 * (one frame per subscriber), still correct but slower.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { type DefaultSchema, superjsonCodec } from '@herald/protocol';
import { RawClient, startRouter } from '@herald/testkit';
import { afterEach, describe, expect, it, vi } from 'vitest';
import WebSocket, * as ws from 'ws';
import { WebSocketServer } from 'ws';
import fc from 'fast-check';
import { JOIN_FRAME_BYTES, frameOnceAvailable, frameTarget, shareFrame, textFrame, writeFrame, writeShared } from '../src/frame-once.js';

type Router = Awaited<ReturnType<typeof startRouter<DefaultSchema>>>;

const WS_CHANGED = 'ws internals changed: the router falls back to socket.send() (frame-once is off); update src/frame-once.ts';

/** The ws class whose static `frame` the router calls (a spy on it counts every frame built). */
const Sender = (ws as unknown as { Sender: { frame: (...args: unknown[]) => unknown } }).Sender;

/**
 * The text frames built for messages of `topic` among the calls `frame` counted: a heartbeat ping
 * or a pong (the clients of these tests live in the same process, and under load a heartbeat
 * slice may come due meanwhile) is a frame too, but not one of the publish's.
 */
function textFramesOf(frame: { mock: { calls: unknown[][] } }, topic: string): number {
  const marker = `"topic":${JSON.stringify(topic)}`;
  return frame.mock.calls.filter(([data, options]) => (options as { opcode?: number }).opcode === 1 && Buffer.from(data as Buffer).toString().includes(marker)).length;
}

/** A plain ws server on loopback and one client; resolves with the server's side of the socket. */
async function plainPair(perMessageDeflate: boolean) {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate });
  await once(wss, 'listening');
  const { port } = wss.address() as AddressInfo;
  const accepted = once(wss, 'connection') as Promise<[WebSocket]>;
  const client = new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate });
  const [server] = await accepted;
  await once(client, 'open');
  return {
    server,
    client,
    async [Symbol.asyncDispose](): Promise<void> {
      client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

async function subscribed(router: Router, count: number, protocol: string): Promise<RawClient[]> {
  return Promise.all(
    Array.from({ length: count }, (_, i) => RawClient.subscribed(router.url, 'news.>', { name: `s${i}` }, { protocols: [protocol] })),
  );
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('frame once: the ws internals it relies on', () => {
  it("ws's Sender.frame builds [header, payload] for an unmasked text frame", () => {
    expect(frameOnceAvailable, WS_CHANGED).toBe(true);
    const payload = Buffer.from('x'.repeat(70_000));
    const shared = shareFrame(payload);
    expect(shared.parts, WS_CHANGED).toHaveLength(2);
    expect(shared.parts![1]).toBe(payload);
    // FIN + text opcode, then 127 and a 64-bit length for a payload of 65,536 bytes or more.
    expect([...shared.parts![0]!]).toEqual([0x81, 127, 0, 0, 0, 0, 0, 0x01, 0x11, 0x70]);
  });

  it('a frame up to JOIN_FRAME_BYTES is one buffer: the header from Sender.frame, then the payload', () => {
    const payload = Buffer.from('y'.repeat(JOIN_FRAME_BYTES));
    const shared = shareFrame(payload);
    expect(shared.parts, WS_CHANGED).toHaveLength(1);
    // FIN + text opcode, then 126 and a 16-bit length (16,384 = 0x4000), then the payload's bytes.
    expect([...shared.parts![0]!.subarray(0, 4)]).toEqual([0x81, 126, 0x40, 0x00]);
    expect(shared.parts![0]!.subarray(4).equals(payload)).toBe(true);
    expect(shareFrame(Buffer.from('{}')).parts![0]).toEqual(Buffer.from([0x81, 2, 0x7b, 0x7d]));
  });

  it('a ws socket without compression exposes its net.Socket, an idle sender and no extension', async () => {
    await using pair = await plainPair(false);
    expect(frameTarget(pair.server), WS_CHANGED).toBeDefined();
    const received = once(pair.client, 'message') as Promise<[Buffer, boolean]>;
    expect(writeShared(pair.server, shareFrame(Buffer.from('{"a":1}')))).toBe(true);
    const [data, isBinary] = await received;
    expect(isBinary).toBe(false);
    expect(String(data)).toBe('{"a":1}');
  });

  it("textFrame builds the bytes ws's Sender.frame would, header and UTF-8 text in one buffer", () => {
    const frameOf = (text: string): Buffer => {
      const parts = Sender.frame(Buffer.from(text), { fin: true, opcode: 1, mask: false, readOnly: true, rsv1: false }) as Buffer[];
      return Buffer.concat(parts);
    };
    // Each length encoding and its edges: 7 bits (up to 125), 16 bits (126 to 65,535), 64 bits.
    for (const length of [0, 1, 125, 126, 127, 65_535, 65_536, 70_000]) {
      const text = 'w'.repeat(length);
      expect(textFrame(text).equals(frameOf(text)), `length ${length}`).toBe(true);
    }
    // Lengths are in bytes: é is 2, € is 3, an emoji 4.
    expect(textFrame('é'.repeat(63)).equals(frameOf('é'.repeat(63)))).toBe(true);
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (text) => textFrame(text).equals(frameOf(text))));
  });

  it('writeFrame delivers one text frame (textFrame) to a ws socket, and writes nothing where writeShared would not', async () => {
    await using pair = await plainPair(false);
    const received = once(pair.client, 'message') as Promise<[Buffer, boolean]>;
    expect(writeFrame(pair.server, textFrame('{"type":"welcome","name":"é€"}'))).toBe(true);
    const [data, isBinary] = await received;
    expect(isBinary).toBe(false);
    expect(String(data)).toBe('{"type":"welcome","name":"é€"}');
    expect(writeFrame({} as WebSocket, textFrame('{}'))).toBe(false);
  });

  it('never writes a shared frame to a socket with permessage-deflate, or to something that is not ws', async () => {
    await using pair = await plainPair(true);
    expect(pair.server.extensions).toBe('permessage-deflate');
    expect(frameTarget(pair.server)).toBeUndefined();
    expect(writeShared(pair.server, shareFrame(Buffer.from('{}')))).toBe(false);
    expect(writeFrame(pair.server, textFrame('{}'))).toBe(false);
    expect(frameTarget({} as WebSocket)).toBeUndefined();
    expect(writeShared({} as WebSocket, shareFrame(Buffer.from('{}')))).toBe(false);
  });
});

describe('frame once: the router', () => {
  it('a publish to 20 subscribers of one codec builds one WebSocket frame, and each gets the same message', async () => {
    await using router = await startRouter();
    const clients = await subscribed(router, 20, 'herald.v1.superjson');
    try {
      const frame = vi.spyOn(Sender, 'frame');
      const value = { at: new Date(Date.UTC(2024, 0, 2)), text: 'y'.repeat(300) };
      await router.publish('news.a', value);
      const messages = await Promise.all(clients.map((client) => client.next()));
      expect(textFramesOf(frame, 'news.a')).toBe(1);
      for (const message of messages) {
        expect(message).toMatchObject({ type: 'message', topic: 'news.a', offset: 1, payload: superjsonCodec.encode(value) });
      }
    } finally {
      await Promise.all(clients.map((client) => client[Symbol.asyncDispose]()));
    }
  });

  it('two codecs: one frame each; a burst of publishes arrives whole and in order', async () => {
    await using router = await startRouter();
    const json = await subscribed(router, 3, 'herald.v1.json');
    const rich = await subscribed(router, 3, 'herald.v1.superjson');
    try {
      const frame = vi.spyOn(Sender, 'frame');
      await router.publish('news.b', { n: 0, big: 'z'.repeat(70_000) });
      expect(textFramesOf(frame, 'news.b')).toBe(2);
      for (let n = 1; n <= 20; n++) void router.publish('news.b', { n });
      for (const client of [...json, ...rich]) {
        const first = await client.next();
        expect(first).toMatchObject({ type: 'message', offset: 1 });
        expect(JSON.stringify(first).length).toBeGreaterThan(70_000);
        const offsets: number[] = [];
        for (let n = 1; n <= 20; n++) offsets.push(((await client.next()) as { offset: number }).offset);
        expect(offsets).toEqual(Array.from({ length: 20 }, (_, i) => i + 2));
      }
    } finally {
      await Promise.all([...json, ...rich].map((client) => client[Symbol.asyncDispose]()));
    }
  });
});
