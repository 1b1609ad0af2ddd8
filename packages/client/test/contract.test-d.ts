import { describe, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { type Client, type ConnectOptions, type SchemaOf, connect, defineContract } from '../src/index.js';

const contract = defineContract({
  topics: { 'sensors.*.temp': z.object({ at: z.date(), celsius: z.number() }) },
  methods: { 'stats.get': { params: z.object({ since: z.date() }), result: z.object({ clients: z.number() }) } },
});

describe('connect typed by a contract', () => {
  it('gives the client the contract Schema', async () => {
    const client = await connect('ws://127.0.0.1:1/', { contract });
    expectTypeOf(client).toEqualTypeOf<Client<SchemaOf<typeof contract>>>();
    await client.publish('sensors.hall.temp', { at: new Date(), celsius: 1 });
    // @ts-expect-error: celsius is a number
    await client.publish('sensors.hall.temp', { at: new Date(), celsius: '1' });
    // @ts-expect-error: the contract names no such topic
    await client.publish('chat.lobby', 'hi');
    expectTypeOf(await client.request('stats.get', { since: new Date() })).toEqualTypeOf<{ clients: number }>();
  });

  it('still takes plain ConnectOptions with an explicit Schema', async () => {
    type Schema = { topics: { 'a.b': number }; methods: {} };
    const options: ConnectOptions = { name: 'x' };
    const client: Client<Schema> = await connect<Schema>('ws://127.0.0.1:1/', options);
    await client.publish('a.b', 1);
  });
});
