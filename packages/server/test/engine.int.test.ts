/** The in-memory engine against the Engine contract (the same suite every engine runs). */
import { describeEngineConformance, startRouter } from '@herald/testkit';
import { describe, expect, it } from 'vitest';
import { type Engine, MemoryEngine, type Stamp } from '../src/index.js';

describeEngineConformance('MemoryEngine', () => new MemoryEngine());

const listener = { onPublication: (): void => {}, onPresence: (): void => {} };

async function twoStamps(engine: Engine): Promise<[Stamp, Stamp]> {
  await engine.start(listener);
  const publication = { topic: 't', codec: 'superjson', payload: new TextEncoder().encode('{"json":1}'), from: { id: 'p', name: 'P' }, at: 0 };
  const first = await engine.publish(publication);
  const second = await engine.publish(publication);
  await engine.close();
  return [first, second];
}

describe('MemoryEngine', () => {
  it('gives every engine its own epoch, so offsets of a restarted router are not mistaken for the old ones', async () => {
    const [a1, a2] = await twoStamps(new MemoryEngine());
    const [b1, b2] = await twoStamps(new MemoryEngine());
    expect([a1.offset, a2.offset, b1.offset, b2.offset]).toEqual([1, 2, 1, 2]);
    expect(a2.epoch).toBe(a1.epoch);
    expect(b2.epoch).toBe(b1.epoch);
    expect(b1.epoch).not.toBe(a1.epoch);
  });

  it('serves one router only', async () => {
    const engine = new MemoryEngine();
    await using router = await startRouter({ engine });
    expect(router.port).toBeGreaterThan(0);
    await expect(engine.start(listener)).rejects.toThrow(Error);
  });
});
