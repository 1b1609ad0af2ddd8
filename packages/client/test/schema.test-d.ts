/**
 * Typed contracts: a schema maps topics and patterns to payload types; a wrong payload type or a
 * topic the schema does not cover is a compile error. Checked by `vitest` (typecheck) and `tsc`.
 */
import { describe, expectTypeOf, it } from 'vitest';
import type { Client, MessageMeta, PublishAck, Subscription } from '../src/index.js';

interface Reading {
  at: Date;
  celsius: number;
}
type Schema = {
  topics: {
    'sensors.*.temp': Reading;
    'sensors.*.humidity': { at: Date; percent: number };
    'chat.>': string;
    'counters.total': bigint;
  };
};

declare const client: Client<Schema>;
declare const loose: Client;

describe('publish', () => {
  it('accepts the payload type of the matching pattern', () => {
    expectTypeOf(client.publish('sensors.kitchen.temp', { at: new Date(), celsius: 21 })).toEqualTypeOf<Promise<PublishAck>>();
    void client.publish('chat.lobby', 'hello');
    void client.publish('chat.rooms.42', 'deep topics match >');
    void client.publish('counters.total', 10n);
  });

  it('rejects a wrong payload type', () => {
    // @ts-expect-error celsius must be a number
    void client.publish('sensors.kitchen.temp', { at: new Date(), celsius: '21' });
    // @ts-expect-error chat carries strings
    void client.publish('chat.lobby', 42);
    // @ts-expect-error a bigint, not a number
    void client.publish('counters.total', 10);
  });

  it('rejects a topic the schema does not cover', () => {
    // @ts-expect-error no entry matches
    void client.publish('weather.today', 'sunny');
    // @ts-expect-error `*` needs exactly one segment
    void client.publish('sensors.temp', { at: new Date(), celsius: 1 });
  });
});

describe('subscribe', () => {
  it('gives handlers the payload type of the pattern', async () => {
    await client.subscribe('sensors.*.temp', (data, meta) => {
      expectTypeOf(data).toEqualTypeOf<Reading>();
      expectTypeOf(meta).toEqualTypeOf<MessageMeta>();
    });
    await client.subscribe('chat.lobby', (data) => expectTypeOf(data).toEqualTypeOf<string>());
  });

  it('gives a wider pattern the union of what it can receive', async () => {
    const sub = await client.subscribe('sensors.kitchen.*');
    expectTypeOf(sub).toEqualTypeOf<Subscription<Reading | { at: Date; percent: number }>>();
    for await (const { data } of sub) expectTypeOf(data).toEqualTypeOf<Reading | { at: Date; percent: number }>();
    await client.subscribe('counters.>', (data) => expectTypeOf(data).toEqualTypeOf<bigint>());
  });

  it('rejects a pattern no entry overlaps', async () => {
    // @ts-expect-error nothing is published under weather
    await client.subscribe('weather.>');
  });
});

describe('without a schema', () => {
  it('takes any topic and payload, and hands out unknown', async () => {
    void loose.publish('anything.at.all', { whatever: true });
    await loose.subscribe('anything.>', (data) => expectTypeOf(data).toEqualTypeOf<unknown>());
  });
});
