/** A json peer's integers beyond 2^53 are refused, not acknowledged and rounded (PROTOCOL.md §4; issue 11). */
import { connect } from '@herald/client';
import { RawClient, startRouter } from '@herald/testkit';
import { describe, expect, it } from 'vitest';

const JSON_PROTOCOL = { protocols: ['herald.v1.json'] };

describe('integers from a json peer', () => {
  it('refuses a publish carrying 2^53 + 1 with PAYLOAD_INVALID, and nobody receives it', async () => {
    await using router = await startRouter();
    await using sub = await RawClient.subscribed(router.url, 'ids', {}, JSON_PROTOCOL);
    await using pub = await RawClient.welcomed(router.url, {}, JSON_PROTOCOL);
    pub.send({ type: 'publish', id: 1, topic: 'ids' }, '{"id":9007199254740993}');
    const refusal = await pub.next();
    expect(refusal).toMatchObject({ type: 'error', id: 1, code: 'PAYLOAD_INVALID' });
    expect((refusal as { message: string }).message).toContain('9007199254740993');
    pub.send({ type: 'publish', id: 2, topic: 'ids' }, '{"id":"9007199254740993","safe":9007199254740991}');
    expect(await pub.next()).toMatchObject({ type: 'publish_ack', id: 2, offset: 1 });
    expect(await sub.drain()).toEqual([expect.objectContaining({ type: 'message', offset: 1, payload: '{"id":"9007199254740993","safe":9007199254740991}' })]);
  });

  it('refuses one in request params, so the provider never sees it', async () => {
    await using router = await startRouter();
    await using provider = await connect(router.url, { name: 'provider' });
    await provider.handle('ids.echo', (params) => params);
    await using caller = await RawClient.welcomed(router.url, {}, JSON_PROTOCOL);
    caller.send({ type: 'request', id: 5, method: 'ids.echo' }, '[18446744073709551615]');
    expect(await caller.next()).toMatchObject({ type: 'error', id: 5, code: 'PAYLOAD_INVALID' });
    caller.send({ type: 'request', id: 6, method: 'ids.echo' }, '[9007199254740991]');
    expect(await caller.next()).toMatchObject({ type: 'response', id: 6, payload: '[9007199254740991]' });
  });
});
