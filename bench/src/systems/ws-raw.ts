/**
 * Raw `ws`: the practical limit of a router built on `ws`. The server keeps a set of sockets per
 * topic; a publish encodes `{topic, data}` once (`JSON.stringify` or `superjson.stringify`) and
 * sends that same string to every socket of the set. No protocol, no validation, no acks.
 * Wire: the client sends `{"type":"subscribe","topic":...}`, the server answers
 * `{"type":"subscribed"}`, then every message is `{"topic":...,"data":...}`.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import superjson from 'superjson';
import WebSocket, { WebSocketServer } from 'ws';
import { type BenchPayload, type SystemAdapter, withTimeout } from './system.js';

interface TextCodec {
  stringify(value: unknown): string;
  parse(text: string): unknown;
}

const jsonText: TextCodec = { stringify: (value) => JSON.stringify(value), parse: (text) => JSON.parse(text) };
const superjsonText: TextCodec = { stringify: (value) => superjson.stringify(value), parse: (text) => superjson.parse(text) };

function rawWs(codec: TextCodec): SystemAdapter {
  return {
    async startServer({ onError }) {
      const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false, maxPayload: 2 * 1024 * 1024 });
      const topics = new Map<string, Set<WebSocket>>();
      wss.on('connection', (socket) => {
        const mine: string[] = [];
        socket.on('error', onError);
        socket.on('message', (raw) => {
          // Control messages are always plain JSON: only deliveries use the codec.
          const message = JSON.parse(String(raw)) as { type?: unknown; topic?: unknown };
          if (message.type !== 'subscribe' || typeof message.topic !== 'string') return;
          let set = topics.get(message.topic);
          if (set === undefined) topics.set(message.topic, (set = new Set()));
          set.add(socket);
          mine.push(message.topic);
          socket.send('{"type":"subscribed"}');
        });
        socket.on('close', () => {
          for (const topic of mine) topics.get(topic)?.delete(socket);
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
          for (const socket of set) if (socket.readyState === WebSocket.OPEN) socket.send(text);
        },
        close: () =>
          new Promise<void>((resolve) => {
            for (const socket of wss.clients) socket.terminate();
            wss.close(() => resolve());
          }),
      };
    },

    async connect(url, { topic, onMessage, onError }, timeoutMs) {
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
        if (topic !== undefined) {
          const subscribed = new Promise<void>((resolve) => {
            socket.on('message', (raw) => {
              const text = String(raw);
              if (text === '{"type":"subscribed"}') return resolve();
              const message = codec.parse(text) as { data: BenchPayload };
              onMessage?.(message.data);
            });
          });
          socket.send(JSON.stringify({ type: 'subscribe', topic }));
          await withTimeout(subscribed, timeoutMs, 'ws subscribe');
        }
      } catch (error) {
        socket.terminate();
        throw error;
      }
      return { close: () => socket.close() };
    },
  };
}

export const wsJson = rawWs(jsonText);
export const wsSuperjson = rawWs(superjsonText);
