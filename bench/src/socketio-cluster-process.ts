/**
 * One Socket.IO server of a cluster, in a process of its own (the storm scenario's Socket.IO side):
 * `@socket.io/redis-adapter` over ioredis (`REDIS_URL`) broadcasts between the servers, as Socket.IO
 * documents for several servers. WebSocket transport only, no compression, a room per topic:
 * `subscribe` joins the room and acknowledges, `publish` broadcasts to it (every server) and
 * acknowledges. Prints `{"port":N}` once it listens; exits when its parent's stdin closes.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import { Server } from 'socket.io';

const pub = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const sub = pub.duplicate();
const http = createServer();
const io = new Server(http, {
  transports: ['websocket'],
  serveClient: false,
  perMessageDeflate: false,
  httpCompression: false,
  adapter: createAdapter(pub, sub),
});
io.on('connection', (socket) => {
  socket.on('subscribe', (topic: unknown, ack: unknown) => {
    if (typeof topic === 'string') void socket.join(topic);
    if (typeof ack === 'function') ack();
  });
  socket.on('publish', (topic: unknown, data: unknown, ack: unknown) => {
    if (typeof topic === 'string') io.to(topic).emit('message', data);
    if (typeof ack === 'function') ack();
  });
});
http.listen(0, '127.0.0.1');
await once(http, 'listening');
process.stdout.write(`${JSON.stringify({ port: (http.address() as AddressInfo).port })}\n`);
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
