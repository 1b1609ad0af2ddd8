/** A server of the test holding a port on 127.0.0.1: the "taken port" of the listen-failure tests. */
import { once } from 'node:events';
import { type Server as HttpServer, createServer } from 'node:http';

/** Listens on a free port of 127.0.0.1; `await using` closes it. */
export async function holder(): Promise<HttpServer & AsyncDisposable> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return Object.assign(server, {
    async [Symbol.asyncDispose]() {
      server.close();
      await once(server, 'close');
    },
  });
}
