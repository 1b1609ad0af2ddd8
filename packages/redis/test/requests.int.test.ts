/**
 * Requests across routers over Redis (issue 13): three routers in separate processes on one real
 * redis-server. A provider on node 2 serves a caller on node 1; the load spreads over the providers
 * of all three nodes; when the provider's node is SIGKILLed, the call it was serving fails
 * HANDLER_GONE once the reaper declares the node dead (lease 3 s + heartbeat 1 s); nobody providing
 * the method anywhere is NO_HANDLER at once. The processes run the built packages (`pnpm build`).
 */
import { isDeepStrictEqual } from 'node:util';
import type { ServerMessage } from '@herald/protocol';
import { MAX_LISTED_PEERS } from '@herald/redis';
import { Log, RawClient, type RouterProcess } from '@herald/testkit';
import { describe, expect, it } from 'vitest';
import { clusterFixture } from './cluster-fixture.js';

const { threeNodes, client } = await clusterFixture('rpc');

/** A provider of `methods` that answers each request with its own name, except `silent` ones. */
async function provider(node: RouterProcess, name: string, methods: string[], silent?: string): Promise<{ client: RawClient; served: () => number; requests: Log<string> }> {
  const c = await client(node, name);
  const requests = new Log<string>();
  for (const [i, method] of methods.entries()) {
    c.send({ type: 'handle', id: i + 1, method });
    expect(await c.nextOf('handled')).toMatchObject({ id: i + 1, method });
  }
  void (async () => {
    for (;;) {
      let request: Extract<ServerMessage, { type: 'request' }>;
      try {
        request = await c.nextOf('request');
      } catch {
        return; // closed
      }
      requests.push(request.method);
      if (request.method !== silent) c.send({ type: 'response', id: request.id }, JSON.stringify({ json: name }));
    }
  })();
  return { client: c, served: () => requests.values.length, requests };
}

/** How many times a test asks before it fails: each ask is a round trip, so this bounds the time too. */
const POLLS = 2000;

/** Calls until the caller's node knows a provider (the registry travels as a Redis event). */
async function call(caller: RawClient, id: number, method: string): Promise<ServerMessage> {
  for (let attempt = 0; attempt < POLLS; attempt++) {
    caller.send({ type: 'request', id, method, timeout: 10_000 }, '{"json":null}');
    const reply = await caller.next();
    if (reply.type === 'error' && reply.code === 'NO_HANDLER') continue;
    return reply;
  }
  throw new Error(`${method}: still NO_HANDLER after ${POLLS} calls (the provider's announcement never arrived)`);
}

type Listed = Record<string, string[]>;

/** What `list_methods` answers `caller`: method → provider names (sorted by name). */
async function listMethods(caller: RawClient, id: number): Promise<{ order: string[]; listed: Listed }> {
  caller.send({ type: 'list_methods', id });
  const reply = await caller.nextOf('methods');
  expect(reply.id).toBe(id);
  return { order: reply.methods.map((m) => m.method), listed: Object.fromEntries(reply.methods.map((m) => [m.method, m.providers.map((p) => p.name).sort()])) };
}

/** Lists until `caller`'s node lists `expected` (announcements travel as Redis events); the next id. */
async function listedUntil(caller: RawClient, id: number, expected: Listed): Promise<number> {
  let last: Listed = {};
  for (let attempt = 0; attempt < POLLS; attempt++) {
    const { order, listed } = await listMethods(caller, id++);
    last = listed;
    if (!isDeepStrictEqual(listed, expected)) continue;
    expect(order).toEqual(Object.keys(expected).sort());
    return id;
  }
  expect(last).toEqual(expected); // fails, showing what was listed last
  return id;
}

// Three router processes per test, and a lease to run out in two of them: 5 s idle, several times
// that on a loaded machine (as the other multi-process suites).
describe('requests across routers (Redis)', { timeout: 60_000 }, () => {
  it('a provider on node 2 serves a caller on node 1; nobody anywhere is NO_HANDLER at once', async () => {
    const [n1, n2] = await threeNodes();
    const caller = await client(n1, 'caller');
    caller.send({ type: 'request', id: 1, method: 'nobody.home' }, '{"json":null}');
    expect(await caller.next()).toMatchObject({ type: 'error', id: 1, code: 'NO_HANDLER' });
    await provider(n2, 'p2', ['stats.get']);
    expect(await call(caller, 2, 'stats.get')).toEqual({ type: 'response', id: 2, payload: '{"json":"p2"}' });
  });

  it('spreads the load over the providers of all three nodes', async () => {
    const [n1, n2, n3] = await threeNodes();
    const providers = [await provider(n1, 'p1', ['work.do']), await provider(n2, 'p2', ['work.do']), await provider(n3, 'p3', ['work.do'])];
    const caller = await client(n1, 'caller');
    // Until every node's providers are known to node 1: each answer names its provider.
    const seen = new Set<string>();
    let id = 1;
    while (seen.size < 3) seen.add(String((await call(caller, id++, 'work.do') as { payload?: string }).payload));
    const before = providers.map((p) => p.served());
    for (let i = 0; i < 30; i++) expect(await call(caller, id++, 'work.do')).toMatchObject({ type: 'response' });
    expect(providers.map((p, i) => p.served() - before[i]!)).toEqual([10, 10, 10]);
  });

  it("SIGKILL of the provider's node: its in-flight call fails HANDLER_GONE (lease + heartbeat), the next goes to a live node", async () => {
    const [n1, n2, n3] = await threeNodes();
    const caller = await client(n1, 'caller');
    // Handled in this order, announced in this order (a later flush when the handles fall in two):
    // once node 1 routes ready.check to node 2 it knows node 2's slow.op too.
    const doomed = await provider(n2, 'p2', ['slow.op', 'ready.check'], 'slow.op');
    expect(await call(caller, 1, 'ready.check')).toMatchObject({ type: 'response' });
    caller.send({ type: 'request', id: 2, method: 'slow.op', timeout: 60_000 }, '{"json":null}');
    await doomed.requests.until(2);
    await provider(n3, 'p3', ['slow.op']);
    await n2.kill();
    expect(await caller.next()).toMatchObject({ type: 'error', id: 2, code: 'HANDLER_GONE' });
    expect(await call(caller, 3, 'slow.op')).toEqual({ type: 'response', id: 3, payload: '{"json":"p3"}' });
  });

  it('list_methods on any node lists the providers of every node; an unhandle and a dead node take theirs off', async () => {
    const [n1, n2, n3] = await threeNodes();
    await provider(n1, 'p1', ['work.do']);
    const p2 = await provider(n2, 'p2', ['work.do', 'slow.op'], 'slow.op');
    const p3 = await provider(n3, 'p3', ['work.do', 'only.three']);
    const everything = { 'only.three': ['p3'], 'slow.op': ['p2'], 'work.do': ['p1', 'p2', 'p3'] };
    const caller = await client(n1, 'caller');
    let id = await listedUntil(caller, 1, everything);
    await listedUntil(await client(n3, 'other'), 1, everything);

    p3.client.send({ type: 'unhandle', id: 100, method: 'only.three' });
    expect(await p3.client.nextOf('unhandled')).toMatchObject({ id: 100, method: 'only.three' });
    id = await listedUntil(caller, id, { 'slow.op': ['p2'], 'work.do': ['p1', 'p2', 'p3'] });

    // Node 2 dies: once node 1 fails the call node 2 was serving (the reaper declared it dead),
    // node 2's methods are gone from node 1's list too.
    const slow = id++;
    const served = p2.requests.values.length;
    caller.send({ type: 'request', id: slow, method: 'slow.op', timeout: 60_000 }, '{"json":null}');
    // In flight at the provider before its node dies (a call routed to a node already dead is not).
    expect((await p2.requests.until(served + 1))[served]).toBe('slow.op');
    await n2.kill();
    expect(await caller.next()).toMatchObject({ type: 'error', id: slow, code: 'HANDLER_GONE' });
    expect((await listMethods(caller, id++)).listed).toEqual({ 'work.do': ['p1', 'p3'] });
  });

  it(`lists at most ${MAX_LISTED_PEERS} providers of a method per other node`, async () => {
    const [n1, n2] = await threeNodes();
    const names = Array.from({ length: MAX_LISTED_PEERS + 1 }, (_, i) => `p${String(i).padStart(2, '0')}`);
    for (const name of names) await provider(n2, name, ['many.do']);
    // Node 2 announces in order: once node 1 lists the last provider's second method, it has
    // node 2's announcement of all 33 providers of many.do.
    const last = await client(n2, 'last');
    last.send({ type: 'handle', id: 1, method: 'z.marker' });
    await last.nextOf('handled');
    const caller = await client(n1, 'caller');
    await listedUntil(caller, 1, { 'many.do': names.slice(0, MAX_LISTED_PEERS), 'z.marker': ['last'] });
  });
});
