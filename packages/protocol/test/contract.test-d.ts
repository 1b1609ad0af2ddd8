import * as v from 'valibot';
import { describe, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { type PublishData, type ResultOf, type SchemaOf, type SubscribeData, defineContract } from '../src/index.js';

describe('the Schema a contract gives', () => {
  it('infers topics and methods from zod and valibot schemas', () => {
    const contract = defineContract({
      topics: { 'sensors.*.temp': z.object({ at: z.date(), celsius: z.number() }), 'chat.>': v.string() },
      methods: { 'stats.get': { params: v.object({ since: v.date() }), result: z.object({ clients: z.number(), uptime: z.bigint() }) } },
    });
    type S = SchemaOf<typeof contract>;
    expectTypeOf<PublishData<S, 'sensors.hall.temp'>>().toEqualTypeOf<{ at: Date; celsius: number }>();
    expectTypeOf<SubscribeData<S, 'chat.>'>>().toEqualTypeOf<string>();
    expectTypeOf<S['methods']['stats.get']['params']>().toEqualTypeOf<{ since: Date }>();
    expectTypeOf<ResultOf<S, 'stats.get'>>().toEqualTypeOf<{ clients: number; uptime: bigint }>();
    // A topic the contract does not name is no payload type at all.
    expectTypeOf<PublishData<S, 'other.topic'>>().toBeNever();
  });

  it('leaves a side without a schema unknown', () => {
    const contract = defineContract({ methods: { ping: { result: z.literal('pong') } } });
    type S = SchemaOf<typeof contract>;
    expectTypeOf<S['methods']['ping']['params']>().toBeUnknown();
    expectTypeOf<ResultOf<S, 'ping'>>().toEqualTypeOf<'pong'>();
    expectTypeOf<SubscribeData<S, 'any.topic'>>().toBeUnknown();
  });
});
