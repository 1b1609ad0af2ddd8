import { describe, it } from 'vitest';
import { z } from 'zod';
import { createRouter, defineContract } from '../src/index.js';

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
});
