/**
 * Requests: round trips per second and p99 latency of request/reply through the router, client to
 * client (issue 6).
 *
 * TODO(requests): requests are being added to @herald/server and @herald/client now; add this
 * scenario once `client.request()` and `client.handle()` have landed. Sketch: one provider process
 * handles `bench.echo`, callers in two processes keep a fixed number of requests in flight each
 * (the same windowed flow control as fan-out), and record round-trip times. Socket.IO's
 * counterpart is `emitWithAck` relayed by the server to the provider's socket; raw ws relays a
 * `{id, method, params}` frame and routes the reply back by id. Report round trips per second and
 * p50/p99, with router CPU per million round trips.
 */
import type { Measurement, RunContext } from '../context.js';

export function runRequests(ctx: RunContext): Measurement[] {
  ctx.log('requests: TODO, not measured yet (waiting for requests in the packages)');
  return [];
}
