/**
 * Socket.IO 4: a `Server` on its own HTTP server and `socket.io-client`, WebSocket transport only
 * (no long-polling upgrade), no compression, a room per topic. `io.to(topic).emit()` encodes the
 * packet once per broadcast (Socket.IO also pre-builds the WebSocket frame once).
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { io } from 'socket.io-client';
import { type BenchPayload, type SystemAdapter, withTimeout } from './system.js';

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
    server.on('connection', (socket) => {
      socket.on('error', onError);
      socket.on('subscribe', (topic: unknown, ack: unknown) => {
        if (typeof topic === 'string') void socket.join(topic);
        if (typeof ack === 'function') ack();
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
      if (onError !== undefined) socket.on('disconnect', (reason) => reason === 'io client disconnect' || onError(new Error(`disconnected: ${reason}`)));
      if (topic !== undefined) {
        if (onMessage !== undefined) socket.on('message', (data: BenchPayload) => onMessage(data));
        await socket.timeout(timeoutMs).emitWithAck('subscribe', topic);
      }
    } catch (error) {
      socket.close();
      throw error;
    }
    return { close: () => void socket.close() };
  },
};
