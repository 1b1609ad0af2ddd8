/** The router shares the client's typed request contracts: `createRouter<Schema>()`. */
import { describe, expectTypeOf, it } from 'vitest';
import type { HandlerRegistration, MethodInfo, RequestContext, Router } from '../src/index.js';

type Schema = {
  methods: {
    'math.add': { params: [number, number]; result: number };
    'users.get': { params: { id: bigint }; result: { name: string; since: Date } };
  };
};

declare const router: Router<Schema>;
declare const loose: Router;

describe('router.request', () => {
  it('checks the params and types the result', () => {
    expectTypeOf(router.request('math.add', [1, 2])).toEqualTypeOf<Promise<number>>();
    expectTypeOf(router.request('users.get', { id: 7n })).toEqualTypeOf<Promise<{ name: string; since: Date }>>();
    void router.request('math.add', [1, 2], { timeout: 500, signal: new AbortController().signal });
  });

  it('rejects wrong params and unknown methods', () => {
    // @ts-expect-error the first operand must be a number
    void router.request('math.add', ['1', 2]);
    // @ts-expect-error the id is a bigint
    void router.request('users.get', { id: '7' });
    // @ts-expect-error no such method
    void router.request('math.sub', [1, 2]);
  });
});

describe('router.handle', () => {
  it('types the handler’s params and context', async () => {
    const registration = await router.handle('math.add', ([a, b], ctx) => {
      expectTypeOf(a).toEqualTypeOf<number>();
      expectTypeOf(b).toEqualTypeOf<number>();
      expectTypeOf(ctx).toEqualTypeOf<RequestContext>();
      return a + b;
    });
    expectTypeOf(registration).toEqualTypeOf<HandlerRegistration>();
    await router.handle('users.get', async ({ id }) => ({ name: `user ${id}`, since: new Date() }));
  });

  it('rejects a handler returning the wrong type, and unknown methods', async () => {
    // @ts-expect-error math.add returns a number
    await router.handle('math.add', ([a, b]) => `${a + b}`);
    // @ts-expect-error since must be a Date
    await router.handle('users.get', () => ({ name: 'x', since: 0 }));
    // @ts-expect-error no such method
    await router.handle('math.sub', () => 0);
  });

  it('lists methods', () => {
    expectTypeOf(router.methods()).toEqualTypeOf<MethodInfo[]>();
  });
});

describe('without a schema', () => {
  it('takes any method; params and results are unknown', async () => {
    expectTypeOf(loose.request('anything.at_all', 1)).toEqualTypeOf<Promise<unknown>>();
    await loose.handle('anything.at_all', (params) => {
      expectTypeOf(params).toEqualTypeOf<unknown>();
      return params;
    });
  });
});
