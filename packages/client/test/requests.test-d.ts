/**
 * Typed request contracts: a schema maps methods to params and result types; wrong params, a wrong
 * handler result or an unknown method is a compile error. Checked by `vitest` (typecheck) and `tsc`.
 */
import { describe, expectTypeOf, it } from 'vitest';
import type { Client, HandlerRegistration, RequestContext } from '../src/index.js';

type Schema = {
  methods: {
    'math.add': { params: [number, number]; result: number };
    'users.get': { params: { id: bigint }; result: { name: string; since: Date } };
  };
};

declare const client: Client<Schema>;
declare const loose: Client;

describe('client.request', () => {
  it('checks the params and types the result', () => {
    expectTypeOf(client.request('math.add', [1, 2])).toEqualTypeOf<Promise<number>>();
    expectTypeOf(client.request('users.get', { id: 1n })).toEqualTypeOf<Promise<{ name: string; since: Date }>>();
    void client.request('math.add', [1, 2], { timeout: 500, signal: new AbortController().signal });
  });

  it('rejects wrong params', () => {
    // @ts-expect-error the first operand must be a number
    void client.request('math.add', ['1', 2]);
    // @ts-expect-error two operands
    void client.request('math.add', [1]);
    // @ts-expect-error the id is a bigint
    void client.request('users.get', { id: 1 });
  });

  it('rejects a method the schema does not have', () => {
    // @ts-expect-error no such method
    void client.request('math.sub', [1, 2]);
  });

  it('rejects a wrong use of the result', async () => {
    const sum = await client.request('math.add', [1, 2]);
    // @ts-expect-error the result is a number
    const text: string = sum;
    void text;
  });
});

describe('client.handle', () => {
  it('types the handler’s params and context', async () => {
    const registration = await client.handle('math.add', ([a, b], ctx) => {
      expectTypeOf(a).toEqualTypeOf<number>();
      expectTypeOf(b).toEqualTypeOf<number>();
      expectTypeOf(ctx).toEqualTypeOf<RequestContext>();
      expectTypeOf(ctx.signal).toEqualTypeOf<AbortSignal>();
      return a + b;
    });
    expectTypeOf(registration).toEqualTypeOf<HandlerRegistration>();
    await client.handle('users.get', async ({ id }) => ({ name: `user ${id}`, since: new Date() }));
  });

  it('rejects a handler returning the wrong type', async () => {
    // @ts-expect-error math.add returns a number
    await client.handle('math.add', ([a, b]) => `${a + b}`);
    // @ts-expect-error since must be a Date
    await client.handle('users.get', async () => ({ name: 'x', since: 'yesterday' }));
  });

  it('rejects a method the schema does not have', async () => {
    // @ts-expect-error no such method
    await client.handle('math.sub', () => 0);
  });
});

describe('without a schema', () => {
  it('takes any method; params and results are unknown', async () => {
    expectTypeOf(loose.request('anything.at_all', { whatever: true })).toEqualTypeOf<Promise<unknown>>();
    await loose.handle('anything.at_all', (params) => {
      expectTypeOf(params).toEqualTypeOf<unknown>();
      return 'any result';
    });
  });
});
