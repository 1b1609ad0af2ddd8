/** Names and topics are counted in the same unit, Unicode code points (PROTOCOL.md §5, §6 hello; issue 11). */
import { RawClient, startRouter } from '@herald/testkit';
import { describe, expect, it } from 'vitest';

const rocket = '🚀'; // one code point, two UTF-16 units

describe('lengths in code points', () => {
  it('routes a topic of 256 code points (512 UTF-16 units) and refuses 257', async () => {
    await using router = await startRouter();
    const topic = rocket.repeat(256);
    await using sub = await RawClient.subscribed(router.url, topic, {}, { protocols: ['herald.v1.json'] });
    await using pub = await RawClient.welcomed(router.url, {}, { protocols: ['herald.v1.json'] });
    pub.send({ type: 'publish', id: 1, topic }, '1');
    expect(await pub.next()).toMatchObject({ type: 'publish_ack', id: 1, topic, offset: 1 });
    expect(await sub.next()).toMatchObject({ type: 'message', topic, payload: '1' });
    pub.send({ type: 'publish', id: 2, topic: rocket.repeat(257) }, '1');
    expect(await pub.next()).toMatchObject({ type: 'error', id: 2, code: 'TOPIC_INVALID' });
    pub.send({ type: 'subscribe', id: 3, pattern: rocket.repeat(257) });
    expect(await pub.next()).toMatchObject({ type: 'error', id: 3, code: 'PATTERN_INVALID' });
  });

  it('accepts a name of 128 code points (256 UTF-16 units) and refuses 129 with HELLO_INVALID', async () => {
    await using router = await startRouter();
    await using named = await RawClient.welcomed(router.url, { name: rocket.repeat(128) });
    expect(named.welcome!.name).toBe(rocket.repeat(128));
    await using raw = await RawClient.open(router.url);
    raw.send({ type: 'hello', name: rocket.repeat(129) });
    const { close } = await raw.untilClosed();
    expect(close.code).toBe(4000);
    expect(close.reason).toMatch(/^HELLO_INVALID: /);
  });
});
