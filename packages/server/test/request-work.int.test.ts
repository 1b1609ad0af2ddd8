/**
 * The `handle` attack of issue #12, asserted by counting work (`router.stats().requestWork`), never
 * by time: a disconnect visits only what that connection had (its methods, its requests, the
 * requests it serves), however many methods and requests the rest of the router holds, and
 * `list_methods` builds the sorted list once per change of the methods, not once per call.
 */
import { ErrorCode, superjsonCodec } from '@herald/protocol';
import { RawClient, startRouter } from '@herald/testkit';
import { describe, expect, it } from 'vitest';

const payload = superjsonCodec.encode(1);

describe('request work is bounded by counts', () => {
  it('an unrelated disconnect visits its own entries only, not the 100 methods and 50 requests of others', async () => {
    await using router = await startRouter({ limits: { strikes: false } });
    await using busy = await RawClient.welcomed(router.url, { name: 'busy' });
    for (let id = 1; id <= 100; id++) busy.send({ type: 'handle', id, method: `busy.${id}` });
    for (let i = 0; i < 100; i++) await busy.nextOf('handled');
    await using caller = await RawClient.welcomed(router.url, { name: 'caller' });
    for (let id = 1; id <= 50; id++) caller.send({ type: 'request', id, method: `busy.${id}` }, payload);
    for (let i = 0; i < 50; i++) await busy.nextOf('request');

    const bystander = await RawClient.welcomed(router.url, { name: 'bystander' });
    bystander.send({ type: 'handle', id: 1, method: 'by.m' });
    await bystander.nextOf('handled');
    caller.send({ type: 'request', id: 100, method: 'by.m' }, payload); // served by the bystander
    await bystander.nextOf('request');
    bystander.send({ type: 'request', id: 2, method: 'busy.1' }, payload); // and one it waits for
    const served = await busy.nextOf('request');

    const before = router.stats().requestWork.disconnectVisits;
    await bystander.close();
    expect(await caller.next()).toMatchObject({ type: 'error', id: 100, code: ErrorCode.HANDLER_GONE });
    expect(await busy.next()).toMatchObject({ type: 'cancel', id: served.id });
    // One method, one request of its own, one request it served: 3, not 100 + 52.
    expect(router.stats().requestWork.disconnectVisits - before).toBe(3);
    expect(router.methods()).toHaveLength(100);

    // The provider of 100 methods and 51 requests in flight visits exactly those.
    const beforeBusy = router.stats().requestWork.disconnectVisits;
    await busy.close();
    const gone = [];
    for (let i = 0; i < 50; i++) gone.push(await caller.next());
    expect(gone.every((f) => f.type === 'error' && f.code === ErrorCode.HANDLER_GONE)).toBe(true);
    expect(router.stats().requestWork.disconnectVisits - beforeBusy).toBe(100 + 50);
    expect(router.methods()).toHaveLength(0);
  });

  it('list_methods builds the sorted list once per change of the methods, however often it is asked', async () => {
    await using router = await startRouter({ limits: { calls: false } });
    await using provider = await RawClient.welcomed(router.url, { name: 'provider' });
    for (let id = 1; id <= 99; id++) provider.send({ type: 'handle', id, method: `m.${id}` });
    for (let i = 0; i < 99; i++) await provider.nextOf('handled');
    await using lister = await RawClient.welcomed(router.url, { name: 'lister' });
    const before = router.stats().requestWork.methodListsBuilt;
    for (let id = 1; id <= 200; id++) lister.send({ type: 'list_methods', id });
    for (let i = 0; i < 200; i++) expect(await lister.nextOf('methods')).toMatchObject({ methods: expect.any(Array) });
    expect(router.stats().requestWork.methodListsBuilt - before).toBe(1);
    provider.send({ type: 'handle', id: 100, method: 'm.new' }); // the 100th: within maxHandlers
    await provider.nextOf('handled');
    for (let id = 201; id <= 300; id++) lister.send({ type: 'list_methods', id });
    const last = [];
    for (let i = 0; i < 100; i++) last.push(await lister.nextOf('methods'));
    expect(last.at(-1)?.methods).toHaveLength(100);
    expect(router.stats().requestWork.methodListsBuilt - before).toBe(2);
  });
});
