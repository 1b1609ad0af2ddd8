/** The router shares the client's typed contracts: `createRouter<Schema>()`. */
import { describe, expectTypeOf, it } from 'vitest';
import type { MessageMeta, PublishAck, Router } from '../src/index.js';

type Schema = {
  topics: {
    'sensors.*.temp': { at: Date; celsius: number };
    'chat.>': string;
  };
};
declare const router: Router<Schema>;

describe('router contracts', () => {
  it('checks router.publish payloads and topics', () => {
    expectTypeOf(router.publish('sensors.hall.temp', { at: new Date(), celsius: 19 })).toEqualTypeOf<Promise<PublishAck>>();
    void router.publish('chat.lobby', 'hello from the router');
    // @ts-expect-error chat carries strings
    void router.publish('chat.lobby', { text: 'hi' });
    // @ts-expect-error no entry covers this topic
    void router.publish('weather.today', 'sunny');
  });

  it('types in-process subscribers', async () => {
    await router.subscribe('chat.>', (data, meta) => {
      expectTypeOf(data).toEqualTypeOf<string>();
      expectTypeOf(meta).toEqualTypeOf<MessageMeta>();
    });
    await router.subscribe('sensors.*.temp', (data) => expectTypeOf(data.celsius).toEqualTypeOf<number>());
    // @ts-expect-error no entry overlaps
    await router.subscribe('weather.>', () => {});
  });
});
