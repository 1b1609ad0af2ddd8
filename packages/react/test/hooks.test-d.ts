import type { MessageMeta, PublishAck } from '@herald/client';
import { describe, expectTypeOf, it } from 'vitest';
import { type SubscriptionStatus, createHeraldHooks, useSubscription } from '../src/index.js';

type Schema = {
  topics: { 'sensors.*.temp': { at: Date; celsius: number }; 'chat.>': string };
  methods: { 'math.add': { params: [number, number]; result: number } };
};
const hooks = createHeraldHooks<Schema>();

describe('hooks typed by a Schema', () => {
  it('types subscription data by the pattern', () => {
    const temp = hooks.useSubscription('sensors.*.temp');
    expectTypeOf(temp.data).toEqualTypeOf<{ at: Date; celsius: number } | undefined>();
    expectTypeOf(temp.meta).toEqualTypeOf<MessageMeta | undefined>();
    expectTypeOf(temp.state).toEqualTypeOf<SubscriptionStatus>();
    expectTypeOf(temp.messages[0]!.data).toEqualTypeOf<{ at: Date; celsius: number }>();
    expectTypeOf(hooks.useSubscription('chat.lobby').data).toEqualTypeOf<string | undefined>();
    // @ts-expect-error: no entry covers this pattern
    hooks.useSubscription('nothing.here');
  });

  it('checks publishes and requests', () => {
    const { publish } = hooks.usePublish();
    expectTypeOf(publish('chat.lobby', 'hi')).toEqualTypeOf<Promise<PublishAck | undefined>>();
    // @ts-expect-error: chat carries strings
    void publish('chat.lobby', 42);
    // @ts-expect-error: the payload misses `at`
    void publish('sensors.hall.temp', { celsius: 1 });
    const add = hooks.useRequest('math.add');
    expectTypeOf(add.request([1, 2])).toEqualTypeOf<Promise<number | undefined>>();
    expectTypeOf(add.data).toEqualTypeOf<number | undefined>();
    // @ts-expect-error: params are two numbers
    void add.request(['1', 2]);
    // @ts-expect-error: no such method
    hooks.useRequest('math.sub');
  });

  it('leaves payloads unknown without a registered schema', () => {
    expectTypeOf(useSubscription('anything.>').data).toEqualTypeOf<unknown>();
  });
});
