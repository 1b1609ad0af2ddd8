/**
 * Socket.IO 4: a `Server` on its own HTTP server and `socket.io-client`, WebSocket transport only
 * (no long-polling upgrade), no compression, a room per topic. `io.to(topic).emit()` encodes the
 * packet once per broadcast (Socket.IO also pre-builds the WebSocket frame once).
 *
 * Requests: Socket.IO has no routing between clients, so the server relays. A provider registers
 * with `emitWithAck('provide', method)`; a caller sends `emitWithAck('request', method, params)`,
 * and the server forwards it with `provider.timeout(ms).emitWithAck('request', method, params)`
 * and acknowledges the caller with `{ result }` (or `{ error }`).
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server, type Socket as ServerSocket } from 'socket.io';
import { type Socket, io } from 'socket.io-client';
import { type BenchPayload, ECHO_METHOD, type SystemAdapter, topicList, withTimeout } from './system.js';

/** How long the server waits for a provider's answer before answering the caller with an error. */
const RELAY_TIMEOUT_MS = 30_000;

type Reply = { result: BenchPayload } | { error: string };

async function open(url: string, timeoutMs: number, onError: ((error: unknown) => void) | undefined): Promise<Socket> {
  const socket = io(url, { transports: ['websocket'], forceNew: true, reconnection: false, timeout: timeoutMs });
  try {
    await withTimeout(
      new Promise<void>((resolve, reject) => {
        socket.once('connect', () => resolve());
        socket.once('connect_error', (error) => reject(error));
      }),
      timeoutMs,
      'socket.io connect',
    );
  } catch (error) {
    socket.close();
    throw error;
  }
  if (onError !== undefined) socket.on('disconnect', (reason) => reason === 'io client disconnect' || onError(new Error(`disconnected: ${reason}`)));
  return socket;
}

export const socketio: SystemAdapter = {
  async startServer({ onError }) {
    const http = createServer();
    const server = new Server(http, {
      transports: ['websocket'],
      serveClient: false,
      perMessageDeflate: false,
      httpCompression: false,
      maxHttpBufferSize: 2 * 1024 * 1024,
    });
    const providers = new Map<string, ServerSocket>();
    server.on('connection', (socket) => {
      socket.on('error', onError);
      socket.on('subscribe', (topic: unknown, ack: unknown) => {
        if (typeof topic === 'string') void socket.join(topic);
        if (typeof ack === 'function') ack();
      });
      socket.on('provide', (method: unknown, ack: unknown) => {
        if (typeof method === 'string') providers.set(method, socket);
        if (typeof ack === 'function') ack();
      });
      socket.on('request', (method: unknown, params: unknown, ack: unknown) => {
        if (typeof ack !== 'function') return;
        const provider = typeof method === 'string' ? providers.get(method) : undefined;
        if (provider === undefined || provider.disconnected) return ack({ error: `no provider for ${String(method)}` } satisfies Reply);
        provider
          .timeout(RELAY_TIMEOUT_MS)
          .emitWithAck('request', method, params)
          .then(
            (result: BenchPayload) => ack({ result } satisfies Reply),
            (error: unknown) => ack({ error: error instanceof Error ? error.message : String(error) } satisfies Reply),
          );
      });
      socket.on('disconnect', () => {
        for (const [method, provider] of providers) if (provider === socket) providers.delete(method);
      });
    });
    http.listen(0, '127.0.0.1');
    await once(http, 'listening');
    const { port } = http.address() as AddressInfo;
    return {
      url: `http://127.0.0.1:${port}`,
      publish(topic, data) {
        try {
          server.to(topic).emit('message', data);
        } catch (error) {
          onError(error);
        }
      },
      close: () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          http.closeAllConnections();
        }),
    };
  },

  async connect(url, { topic, onMessage, onError }, timeoutMs) {
    const socket = await open(url, timeoutMs, onError);
    try {
      if (topic !== undefined) {
        if (onMessage !== undefined) socket.on('message', (data: BenchPayload) => onMessage(data));
        await Promise.all(topicList(topic).map((one) => socket.timeout(timeoutMs).emitWithAck('subscribe', one)));
      }
    } catch (error) {
      socket.close();
      throw error;
    }
    return { close: () => void socket.close() };
  },

  async provide(url, { onError }, timeoutMs) {
    const socket = await open(url, timeoutMs, onError);
    socket.on('request', (_method: string, params: BenchPayload, ack: (result: BenchPayload) => void) => ack(params));
    try {
      await socket.timeout(timeoutMs).emitWithAck('provide', ECHO_METHOD);
    } catch (error) {
      socket.close();
      throw error;
    }
    return { close: () => void socket.close() };
  },

  async caller(url, { onError }, timeoutMs) {
    const socket = await open(url, timeoutMs, onError);
    return {
      async request(params, timeout) {
        const reply = (await socket.timeout(timeout).emitWithAck('request', ECHO_METHOD, params)) as Reply;
        if ('error' in reply) throw new Error(`socket.io relay: ${reply.error}`);
        return reply.result;
      },
      close: () => void socket.close(),
    };
  },
};
