/**
 * Raw `ws`: the practical limit of a router built on `ws`. The server keeps a set of sockets per
 * topic; a publish encodes `{topic, data}` once (`JSON.stringify` or `superjson.stringify`) and
 * sends that same string to every socket of the set. No protocol, no validation, no acks.
 *
 * Three ways to send (issue 16): `send`, one `socket.send()`, so one write, per message per socket
 * (the naive loop); `corked`, the same `socket.send()` with the socket's net.Socket corked on the
 * first send of a tick and uncorked once after the tick (what Herald's router does), so a burst of
 * messages to a socket goes out in one write; and `frame-once`, corked too, and the WebSocket frame
 * (header and payload bytes) built once per publish with `ws`'s `Sender.frame` and the same buffers
 * written to every socket's net.Socket: the upper bound of any router on `ws`.
 *
 * Wire: the client sends `{"type":"subscribe","topic":...}`, the server answers
 * `{"type":"subscribed"}`, then every message is `{"topic":...,"data":...}` in the codec.
 *
 * Requests: a provider sends `{"type":"provide","method":...}` and gets `{"type":"providing"}`.
 * A caller sends `{id, method, params}` in the codec; the server relays it to the provider under an
 * id of its own, and the provider's `{id, result}` back to the caller under the caller's id. The
 * server never runs the codec: it reads and rewrites the id with `JSON.parse` and `JSON.stringify`
 * (superjson's text is JSON too, with the value under `json`). No timeouts, no errors beyond "no
 * provider", nothing cleaned up when a caller goes away: a relay at its simplest.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import superjson from 'superjson';
import type { Duplex } from 'node:stream';
import WebSocket, * as wsModule from 'ws';
import { WebSocketServer } from 'ws';
import { type BenchCaller, type BenchPayload, ECHO_METHOD, type SystemAdapter, topicList, withTimeout } from './system.js';

interface TextCodec {
  stringify(value: unknown): string;
  parse(text: string): unknown;
  /** Where the value sits in the codec's text once parsed as plain JSON. */
  body(parsed: Record<string, unknown>): Record<string, unknown> | undefined;
}

const jsonText: TextCodec = {
  stringify: (value) => JSON.stringify(value),
  parse: (text) => JSON.parse(text),
  body: (parsed) => parsed,
};
const superjsonText: TextCodec = {
  stringify: (value) => superjson.stringify(value),
  parse: (text) => superjson.parse(text),
  body: (parsed) => parsed.json as Record<string, unknown> | undefined,
};

interface RequestFrame {
  id: number;
  method: string;
  params: BenchPayload;
}

type ReplyFrame = { id: number; result: BenchPayload } | { id: number; error: string };

async function open(url: string, timeoutMs: number, onError: ((error: unknown) => void) | undefined): Promise<WebSocket> {
  const socket = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: timeoutMs });
  socket.on('error', (error) => onError?.(error));
  try {
    await withTimeout(
      new Promise<void>((resolve, reject) => {
        socket.once('open', () => resolve());
        socket.once('error', reject);
      }),
      timeoutMs,
      'ws connect',
    );
  } catch (error) {
    socket.terminate();
    throw error;
  }
  return socket;
}

/** Sends a control message and waits for its one-word answer. */
async function control(socket: WebSocket, message: object, answer: string, timeoutMs: number, what: string): Promise<void> {
  const answered = new Promise<void>((resolve) => {
    const listener = (raw: WebSocket.RawData): void => {
      if (String(raw) !== answer) return;
      socket.off('message', listener);
      resolve();
    };
    socket.on('message', listener);
  });
  socket.send(JSON.stringify(message));
  await withTimeout(answered, timeoutMs, what);
}

/** How the server sends a publish to its sockets (see the top of the file). */
export type SendMode = 'send' | 'corked' | 'frame-once';

/** `ws`'s frame builder; exported by `ws` at run time but not in its type definitions. */
interface SenderStatic {
  frame(
    data: Buffer,
    options: { fin: boolean; opcode: number; mask: boolean; readOnly: boolean; rsv1: boolean },
  ): Buffer[];
}
const { Sender } = wsModule as unknown as { Sender: SenderStatic };

const corked = new Set<Duplex>();
let uncorkScheduled = false;

function uncorkAll(): void {
  uncorkScheduled = false;
  for (const raw of corked) raw.uncork();
  corked.clear();
}

/** The socket's net.Socket, corked until the end of this tick (the same scheme as Herald's router). */
function corkForThisTick(socket: WebSocket): Duplex | undefined {
  const raw = (socket as unknown as { _socket?: Duplex })._socket;
  if (raw === undefined || corked.has(raw)) return raw;
  raw.cork();
  corked.add(raw);
  if (!uncorkScheduled) {
    uncorkScheduled = true;
    process.nextTick(uncorkAll);
  }
  return raw;
}

function rawWs(codec: TextCodec, mode: SendMode = 'send'): SystemAdapter {
  return {
    async startServer({ onError }) {
      const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false, maxPayload: 2 * 1024 * 1024 });
      const topics = new Map<string, Set<WebSocket>>();
      const providers = new Map<string, WebSocket>();
      /** Requests relayed to a provider, by the server's id: who asked, under which id. */
      const pending = new Map<number, { caller: WebSocket; id: number }>();
      let nextId = 1;

      const relayRequest = (caller: WebSocket, parsed: Record<string, unknown>, body: Record<string, unknown>): void => {
        const provider = typeof body.method === 'string' ? providers.get(body.method) : undefined;
        if (provider === undefined || provider.readyState !== WebSocket.OPEN) {
          caller.send(codec.stringify({ id: body.id, error: `no provider for ${String(body.method)}` }));
          return;
        }
        const id = nextId++;
        pending.set(id, { caller, id: body.id as number });
        body.id = id;
        provider.send(JSON.stringify(parsed));
      };

      const relayReply = (body: Record<string, unknown>, parsed: Record<string, unknown>): void => {
        const entry = pending.get(body.id as number);
        if (entry === undefined) return;
        pending.delete(body.id as number);
        body.id = entry.id;
        if (entry.caller.readyState === WebSocket.OPEN) entry.caller.send(JSON.stringify(parsed));
      };

      wss.on('connection', (socket) => {
        const mine: string[] = [];
        socket.on('error', onError);
        socket.on('message', (raw) => {
          const parsed = JSON.parse(String(raw)) as Record<string, unknown>;
          // Control messages are always plain JSON with a `type`; requests and replies use the codec.
          if (parsed.type === 'subscribe' && typeof parsed.topic === 'string') {
            let set = topics.get(parsed.topic);
            if (set === undefined) topics.set(parsed.topic, (set = new Set()));
            set.add(socket);
            mine.push(parsed.topic);
            socket.send('{"type":"subscribed"}');
            return;
          }
          if (parsed.type === 'provide' && typeof parsed.method === 'string') {
            providers.set(parsed.method, socket);
            socket.send('{"type":"providing"}');
            return;
          }
          const body = codec.body(parsed);
          if (body === undefined || typeof body.id !== 'number') return;
          if (typeof body.method === 'string') relayRequest(socket, parsed, body);
          else relayReply(body, parsed);
        });
        socket.on('close', () => {
          for (const topic of mine) topics.get(topic)?.delete(socket);
          for (const [method, provider] of providers) if (provider === socket) providers.delete(method);
        });
      });
      await once(wss, 'listening');
      const { port } = wss.address() as AddressInfo;
      return {
        url: `ws://127.0.0.1:${port}/`,
        publish(topic, data) {
          const set = topics.get(topic);
          if (set === undefined) return;
          let text: string;
          try {
            text = codec.stringify({ topic, data });
          } catch (error) {
            onError(error);
            return;
          }
          if (mode === 'send') {
            for (const socket of set) if (socket.readyState === WebSocket.OPEN) socket.send(text);
          } else if (mode === 'corked') {
            for (const socket of set) {
              if (socket.readyState !== WebSocket.OPEN) continue;
              corkForThisTick(socket);
              socket.send(text);
            }
          } else {
            // One text frame, unmasked, no compression (the server has perMessageDeflate off).
            const frame = Sender.frame(Buffer.from(text), { fin: true, opcode: 1, mask: false, readOnly: true, rsv1: false });
            for (const socket of set) {
              if (socket.readyState !== WebSocket.OPEN) continue;
              const raw = corkForThisTick(socket);
              if (raw === undefined) socket.send(text);
              else for (const buffer of frame) raw.write(buffer);
            }
          }
        },
        close: () =>
          new Promise<void>((resolve) => {
            for (const socket of wss.clients) socket.terminate();
            wss.close(() => resolve());
          }),
      };
    },

    async connect(url, { topic, onMessage, onError }, timeoutMs) {
      const socket = await open(url, timeoutMs, onError);
      try {
        if (topic !== undefined) {
          const topics = topicList(topic);
          let acked = 0;
          let allAcked!: () => void;
          const subscribed = new Promise<void>((resolve) => (allAcked = resolve));
          socket.on('message', (raw) => {
            const text = String(raw);
            if (text === '{"type":"subscribed"}') {
              if (++acked === topics.length) allAcked();
              return;
            }
            const message = codec.parse(text) as { data: BenchPayload };
            onMessage?.(message.data);
          });
          for (const one of topics) socket.send(JSON.stringify({ type: 'subscribe', topic: one }));
          await withTimeout(subscribed, timeoutMs, 'ws subscribe');
        }
      } catch (error) {
        socket.terminate();
        throw error;
      }
      return { close: () => socket.close() };
    },

    async provide(url, { onError }, timeoutMs) {
      const socket = await open(url, timeoutMs, onError);
      try {
        await control(socket, { type: 'provide', method: ECHO_METHOD }, '{"type":"providing"}', timeoutMs, 'ws provide');
      } catch (error) {
        socket.terminate();
        throw error;
      }
      socket.on('message', (raw) => {
        const request = codec.parse(String(raw)) as RequestFrame;
        socket.send(codec.stringify({ id: request.id, result: request.params } satisfies ReplyFrame));
      });
      return { close: () => socket.close() };
    },

    async caller(url, { onError }, timeoutMs) {
      const socket = await open(url, timeoutMs, onError);
      const waiting = new Map<number, { resolve: (result: BenchPayload) => void; reject: (error: Error) => void; timer: NodeJS.Timeout }>();
      let nextId = 1;
      socket.on('message', (raw) => {
        const reply = codec.parse(String(raw)) as ReplyFrame;
        const waiter = waiting.get(reply.id);
        if (waiter === undefined) return;
        waiting.delete(reply.id);
        clearTimeout(waiter.timer);
        if ('error' in reply) waiter.reject(new Error(`ws relay: ${reply.error}`));
        else waiter.resolve(reply.result);
      });
      const caller: BenchCaller = {
        request(params, timeout) {
          const id = nextId++;
          return new Promise<BenchPayload>((resolve, reject) => {
            const timer = setTimeout(() => {
              waiting.delete(id);
              reject(new Error(`ws request ${id}: no reply within ${timeout} ms`));
            }, timeout);
            waiting.set(id, { resolve, reject, timer });
            socket.send(codec.stringify({ id, method: ECHO_METHOD, params } satisfies RequestFrame));
          });
        },
        close: () => socket.close(),
      };
      return caller;
    },
  };
}

export const wsJson = rawWs(jsonText);
export const wsSuperjson = rawWs(superjsonText);
export const wsSuperjsonCorked = rawWs(superjsonText, 'corked');
export const wsJsonFrameOnce = rawWs(jsonText, 'frame-once');
