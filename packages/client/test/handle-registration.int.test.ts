/**
 * `client.handle()` returns a Promise that resolves once the router registered the provider (like
 * `subscribe()` resolves once the subscription is live): from that moment every caller reaches
 * the handler. A request that does not wait for it can race the registration and get NO_HANDLER,
 * so the README tells users to await it. See issue 14 and README "Client".
 */
import { startRouter } from '@herald/testkit';
import { describe, expect, it } from 'vitest';
import { connect } from '../src/index.js';

describe('client.handle()', () => {
  it('resolves once the router lists the provider; a request sent right after is served', async () => {
    await using router = await startRouter();
    await using provider = await connect(router.url, { name: 'provider' });
    await using caller = await connect(router.url, { name: 'caller' });
    const pending = provider.handle('clock.now', () => new Date(0));
    expect(pending).toBeInstanceOf(Promise);
    const registration = await pending;
    expect(registration.method).toBe('clock.now');
    expect(router.methods()).toStrictEqual([{ method: 'clock.now', providers: [{ id: provider.id, name: 'provider' }] }]);
    expect(await caller.request('clock.now', null)).toStrictEqual(new Date(0));
    expect(await router.request('clock.now', null)).toStrictEqual(new Date(0));
    await registration.unregister();
    expect(router.methods()).toStrictEqual([]);
  });
});
