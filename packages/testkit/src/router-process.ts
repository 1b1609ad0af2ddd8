/**
 * A router in a process of its own, for tests that kill it (SIGKILL) and start it again on the same
 * port. Run the built file: `node packages/testkit/dist/router-process.js [--port N]`. It prints one
 * line of JSON, `{"port":N,"url":"ws://..."}`, once it listens, and closes on SIGTERM.
 * With `HERALD_REDIS_URL` (and `HERALD_REDIS_PREFIX`) it runs on the Redis engine, as one node of a
 * cluster; `HERALD_ROUTER_NAME` names it; `HERALD_RESUME_SECRET` is the resume key the nodes share.
 * `HERALD_NO_ADDRESS_LIMITS=1` lifts the per-address and per-connection limits, for benchmarks whose
 * thousands of clients all come from 127.0.0.1 on purpose.
 * `HERALD_TEST_AUTH=1` authenticates every hello as the user its `token` names (allowed everything)
 * and lets clients call `test.disconnect_user` `{ user, reason }` → `router.disconnectUser` (its count).
 */
import { redisEngine } from '@herald/redis';
import { createRouter, silentLogger } from '@herald/server';

const at = process.argv.indexOf('--port');
const port = at === -1 ? 0 : Number(process.argv[at + 1]);
const redisUrl = process.env.HERALD_REDIS_URL;
const unlimited = process.env.HERALD_NO_ADDRESS_LIMITS === '1';
const testAuth = process.env.HERALD_TEST_AUTH === '1';
const router = await createRouter({
  host: '127.0.0.1',
  port,
  logger: false,
  heartbeatIntervalMs: Number(process.env.HERALD_HEARTBEAT_MS ?? 10_000),
  ...(process.env.HERALD_ROUTER_NAME !== undefined && { name: process.env.HERALD_ROUTER_NAME }),
  ...(process.env.HERALD_RESUME_SECRET !== undefined && { resumeSecret: process.env.HERALD_RESUME_SECRET }),
  ...(testAuth && { authenticate: ({ token }: { token?: string | undefined }) => ({ user: token ?? 'anonymous', permissions: { allow: { '>': ['*' as const] } } }) }),
  ...(unlimited && {
    maxConnections: 100_000,
    maxConnectionsPerAddress: 100_000,
    maxPendingPerAddress: 100_000,
    connectionsPerAddress: false as const,
    limits: { publishes: false as const, publishBytes: false as const, subscribes: false as const, calls: false as const },
  }),
  ...(redisUrl !== undefined && {
    engine: redisEngine({ url: redisUrl, prefix: process.env.HERALD_REDIS_PREFIX ?? 'herald:', logger: silentLogger }),
  }),
});
if (testAuth) {
  router.handle('test.disconnect_user', (params) => {
    const { user, reason } = params as { user: string; reason?: string };
    return router.disconnectUser(user, reason === undefined ? {} : { reason });
  });
}
process.stdout.write(`${JSON.stringify({ port: router.port, url: router.url, id: router.id })}\n`);
process.on('SIGTERM', () => {
  void router.close().then(() => process.exit(0));
});
// The parent holds our stdin: when it goes (a test worker that died before killing us), so do we.
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
