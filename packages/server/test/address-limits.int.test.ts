/**
 * Admission per address (issue #12, PROTOCOL.md sections 2 and 12): connections open and not yet
 * welcomed per address, the rate at which an address opens them, the hello timeout and the small
 * frames allowed before the welcome. Every test client comes from 127.0.0.1: one address.
 */
import { connect } from '@herald/client';
import { RawClient, startRouter } from '@herald/testkit';
import { afterEach, describe, expect, it, vi } from 'vitest';

afterEach(() => {
  vi.useRealTimers();
});

describe('connections per address', () => {
  it('one address opening sockets without a hello holds at most maxPendingPerAddress (32 by default)', async () => {
    await using router = await startRouter();
    const sockets = await Promise.all(Array.from({ length: 40 }, () => RawClient.open(router.url)));
    const closes = await Promise.all(sockets.slice(32).map((raw) => raw.closed));
    for (const close of closes) {
      expect(close.code).toBe(4301);
      expect(close.reason).toMatch(/^ADDRESS_LIMIT: /);
    }
    expect(router.stats().connections).toBe(32);
    // A welcome frees a pending slot: the next one is admitted.
    sockets[0]!.send({ type: 'hello', name: 'late' });
    await sockets[0]!.nextOf('welcome');
    await using next = await RawClient.welcomed(router.url, { name: 'next' });
    expect(router.stats().connections).toBe(33);
    for (const raw of sockets) await raw.destroy();
  });

  it('refuses a connection past maxConnectionsPerAddress, and admits one again after a close', async () => {
    await using router = await startRouter({ maxConnectionsPerAddress: 3 });
    const open = await Promise.all([1, 2, 3].map((i) => RawClient.welcomed(router.url, { name: `c${i}` })));
    const extra = await RawClient.open(router.url);
    expect(await extra.closed).toEqual({ code: 4301, reason: expect.stringMatching(/^ADDRESS_LIMIT: /) as string });
    await open[0]!.close();
    await vi.waitFor(() => expect(router.stats().connections).toBe(2));
    await using again = await RawClient.welcomed(router.url, { name: 'again' });
    expect(router.clients().map((c) => c.name).sort()).toEqual(['again', 'c2', 'c3']);
    for (const raw of open.slice(1)) await raw.close();
  });

  it('refuses connections opened faster than connectionsPerAddress, until tokens come back', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    await using router = await startRouter({ connectionsPerAddress: { perSec: 1, burst: 3 } });
    for (let i = 0; i < 3; i++) await (await RawClient.welcomed(router.url, { name: `c${i}` })).close();
    const fast = await RawClient.open(router.url);
    expect((await fast.closed).code).toBe(4301);
    vi.advanceTimersByTime(1000);
    await using later = await RawClient.welcomed(router.url, { name: 'later' });
    expect(later.welcome?.name).toBe('later');
  });

  it('the client reports ADDRESS_LIMIT as a retryable ConnectionError', async () => {
    await using router = await startRouter({ maxConnectionsPerAddress: 1 });
    await using first = await connect(router.url, { name: 'first' });
    const refused = await connect(router.url, { name: 'second', reconnect: false }).then(() => undefined, (error: unknown) => error);
    expect(refused).toMatchObject({ code: 'ADDRESS_LIMIT', closeCode: 4301, retryable: true });
    expect(first.state).toBe('open');
  });
});

describe('before the welcome', () => {
  it('closes with 4002 a socket without a hello after 5 s by default', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    await using router = await startRouter();
    const quiet = await RawClient.open(router.url);
    vi.advanceTimersByTime(4999);
    expect(router.stats().connections).toBe(1);
    vi.advanceTimersByTime(1);
    expect((await quiet.closed).code).toBe(4002);
  });

  it('closes with 1009 a frame over 16 KiB before the welcome; a hello with the largest info fits', async () => {
    await using router = await startRouter();
    const big = await RawClient.open(router.url);
    big.sendRaw(JSON.stringify({ type: 'hello', name: 'x'.repeat(17 * 1024) }));
    expect((await big.closed).code).toBe(1009);
    await using fits = await RawClient.welcomed(router.url, { name: 'n'.repeat(128), info: JSON.stringify({ json: 'i'.repeat(4000) }) });
    // After the welcome, frames up to maxPayload are taken again.
    fits.send({ type: 'publish', id: 1, topic: 'big' }, JSON.stringify({ json: 'p'.repeat(100 * 1024) }));
    expect(await fits.next()).toMatchObject({ type: 'publish_ack', id: 1 });
  });
});
