import { describe, it } from 'vitest';
import { z } from 'zod';
import { type Router, type RouterOptions, createRouter, defineContract } from '../src/index.js';

const contract = defineContract({ topics: { 'sensors.*.temp': z.object({ at: z.date(), celsius: z.number() }) } });

describe('createRouter typed by a contract', () => {
  it('gives the router the contract Schema', async () => {
    const router = await createRouter({ contract });
    await router.publish('sensors.hall.temp', { at: new Date(), celsius: 1 });
    // @ts-expect-error: at is a Date
    await router.publish('sensors.hall.temp', { at: 0, celsius: 1 });
    // @ts-expect-error: the contract names no such topic
    await router.publish('chat.lobby', 'hi');
  });

  it('still takes plain RouterOptions with an explicit Schema', async () => {
    type Schema = { topics: { 'a.b': number }; methods: {} };
    const options: RouterOptions = { port: 0 };
    const router: Router<Schema> = await createRouter<Schema>(options);
    await router.publish('a.b', 1);
  });
});
