/**
 * Issue 11: whatever a user registers on their superjson instance travels end to end between clients
 * that share the registrations, through a default router that knows none of them; and a router
 * given the instance decodes them for its in-process subscribers and handlers. Real router on
 * port 0, real clients.
 */
import { createSuperjsonCodec } from '@herald/protocol';
import { deferred, startRouter } from '@herald/testkit';
import { SuperJSON } from 'superjson';
import { describe, expect, it } from 'vitest';
import { connect } from '../src/index.js';

/** A Decimal-like class, as users register Decimal.js with `registerCustom`. */
class Decimal {
  constructor(readonly digits: string) {}
  plus(other: Decimal): Decimal {
    return new Decimal(String(Number(this.digits) + Number(other.digits)));
  }
}
class User {
  constructor(
    public username: string,
    public password: string,
  ) {}
}
const ADMIN = Symbol('admin');

/** What two clients of one app share: their superjson instance's registrations. */
function appSuperjson(): SuperJSON {
  const superjson = new SuperJSON();
  superjson.registerCustom<Decimal, string>({ isApplicable: (v): v is Decimal => v instanceof Decimal, serialize: (v) => v.digits, deserialize: (v) => new Decimal(v) }, 'decimal.js');
  superjson.registerClass(User, { allowProps: ['username'] });
  superjson.registerSymbol(ADMIN, 'admin');
  superjson.allowErrorProps('code');
  return superjson;
}

describe('registered types through a router', () => {
  it('a Decimal registered on the clients arrives as a Decimal through a default router', async () => {
    await using router = await startRouter();
    await using publisher = await connect(router.url, { codec: createSuperjsonCodec({ superjson: appSuperjson() }) });
    await using subscriber = await connect(router.url, { codec: createSuperjsonCodec({ superjson: appSuperjson() }) });
    const received = deferred<unknown>();
    await subscriber.subscribe('prices.btc', (data) => received.resolve(data));
    const sent = { price: new Decimal('67012.55'), who: new User('kirk', 'secret'), role: ADMIN, failure: Object.assign(new Error('late'), { code: 'E_LATE' }), at: new Date(0) };
    await publisher.publish('prices.btc', sent);
    const got = (await received.promise) as typeof sent;
    expect(got.price).toBeInstanceOf(Decimal);
    expect(got.price.plus(new Decimal('1')).digits).toBe('67013.55');
    expect(got.who).toBeInstanceOf(User);
    expect(got.who.username).toBe('kirk');
    expect(got.who.password).toBeUndefined(); // allowProps kept it off the wire
    expect(got.role).toBe(ADMIN);
    expect(got.failure).toBeInstanceOf(Error);
    expect((got.failure as Error & { code: string }).code).toBe('E_LATE');
    expect(got.at).toStrictEqual(new Date(0));
  });

  it('a request and its result carry registered types both ways', async () => {
    await using router = await startRouter();
    await using provider = await connect(router.url, { codec: createSuperjsonCodec({ superjson: appSuperjson() }) });
    await using caller = await connect(router.url, { codec: createSuperjsonCodec({ superjson: appSuperjson() }) });
    await provider.handle('math.add', (params: unknown) => {
      const { a, b } = params as { a: Decimal; b: Decimal };
      expect(a).toBeInstanceOf(Decimal);
      return a.plus(b);
    });
    const result = await caller.request('math.add', { a: new Decimal('1.5'), b: new Decimal('2') });
    expect(result).toBeInstanceOf(Decimal);
    expect((result as Decimal).digits).toBe('3.5');
  });

  it("a router given the app's instance decodes registered types for its in-process subscribers", async () => {
    await using router = await startRouter({ codecs: [createSuperjsonCodec({ superjson: appSuperjson() })] });
    await using publisher = await connect(router.url, { codec: createSuperjsonCodec({ superjson: appSuperjson() }) });
    const received = deferred<unknown>();
    await router.subscribe('prices.>', (data) => received.resolve(data));
    await publisher.publish('prices.eth', { price: new Decimal('3100.1') });
    const got = (await received.promise) as { price: Decimal };
    expect(got.price).toBeInstanceOf(Decimal);
    expect(got.price.digits).toBe('3100.1');
  });
});
