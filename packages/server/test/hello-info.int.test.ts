/**
 * `hello.info` as PROTOCOL.md §6 says: a string holding a payload of the negotiated codec (JSON text
 * for `herald.v1.json`, a superjson envelope for `herald.v1.superjson`), shown to others in their
 * own codec; anything else closes with 4000 `HELLO_INVALID` (issue 11).
 */
import { RawClient, startRouter } from '@herald/testkit';
import { describe, expect, it } from 'vitest';

const JSON_PROTOCOL = { protocols: ['herald.v1.json'] };

describe('hello.info', () => {
  it('is JSON text for a json client, and reaches a superjson watcher as a superjson payload', async () => {
    await using router = await startRouter();
    await using py = await RawClient.welcomed(router.url, { name: 'py', info: '{"role":"sensor","n":1}' }, JSON_PROTOCOL);
    py.send({ type: 'subscribe', id: 1, pattern: 'room.a' });
    expect(await py.next()).toMatchObject({ type: 'subscribed', id: 1 });
    expect(router.clients()[0]!.info).toEqual({ role: 'sensor', n: 1 });

    await using js = await RawClient.welcomed(router.url, { name: 'js' });
    js.send({ type: 'presence_watch', id: 2, topic: 'room.a' });
    const state = await js.nextOf('presence_state');
    expect(state.members.map((m) => [m.name, m.info])).toEqual([['py', '{"json":{"role":"sensor","n":1}}']]);
  });

  it('is a superjson payload for a superjson client, and reaches a json watcher as plain JSON', async () => {
    await using router = await startRouter();
    const info = '{"json":{"since":"2026-11-22T10:00:00.000Z"},"meta":{"values":{"since":["Date"]},"v":1}}';
    await using js = await RawClient.welcomed(router.url, { name: 'js', info });
    js.send({ type: 'subscribe', id: 1, pattern: 'room.a' });
    await js.nextOf('subscribed');
    expect(router.clients()[0]!.info).toEqual({ since: new Date('2026-11-22T10:00:00.000Z') });

    await using py = await RawClient.welcomed(router.url, { name: 'py' }, JSON_PROTOCOL);
    py.send({ type: 'presence_watch', id: 2, topic: 'room.a' });
    const state = await py.nextOf('presence_state');
    expect(state.members.map((m) => [m.name, m.info])).toEqual([['js', '{"since":"2026-11-22T10:00:00.000Z"}']]);
  });

  const refused: Array<[string, Record<string, unknown>, string[]]> = [
    ['info as a JSON object instead of JSON text (json)', { info: { role: 'sensor' } }, ['herald.v1.json']],
    ['info as a JSON object instead of a superjson payload (superjson)', { info: { json: { role: 'sensor' } } }, ['herald.v1.superjson']],
    ['info as a number', { info: 42 }, ['herald.v1.json']],
    ['info that is not JSON text (json)', { info: 'sensor' }, ['herald.v1.json']],
    ['info that is plain JSON, not a superjson envelope (superjson)', { info: '{"role":"sensor"}' }, ['herald.v1.superjson']],
    ['a name that is not a string', { name: 7 }, ['herald.v1.json']],
  ];

  it.each(refused)('closes with 4000 HELLO_INVALID on %s', async (_, hello, protocols) => {
    await using router = await startRouter();
    await using raw = await RawClient.open(router.url, { protocols });
    raw.send({ type: 'hello', ...hello });
    const { frames, close } = await raw.untilClosed();
    expect(frames).toEqual([]);
    expect(close.code).toBe(4000);
    expect(close.reason).toMatch(/^HELLO_INVALID: /);
    expect(router.clients()).toEqual([]);
  });

  it('keeps PROTOCOL_HELLO_REQUIRED for a malformed first frame of another type', async () => {
    await using router = await startRouter();
    await using raw = await RawClient.open(router.url, { protocols: ['herald.v1.json'] });
    raw.send({ type: 'subscribe', id: 'one', pattern: 'a' });
    const { close } = await raw.untilClosed();
    expect(close.code).toBe(4000);
    expect(close.reason).toMatch(/^(PROTOCOL_INVALID_MESSAGE|PROTOCOL_HELLO_REQUIRED): /);
  });
});
