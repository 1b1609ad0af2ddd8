/**
 * What a router tells its cluster about the providers of a method (`Engine.provide`) is bounded:
 * the count, and who the first 32 providers are. Building every provider's reference on each
 * change made a reconnect storm of N clients re-handling one method cost N²/2 references; now it
 * costs at most 32 per change. Two routers on the test kit's in-process cluster bus.
 */
import type { PeerRef } from '@herald/protocol';
import { BusEngine, ClusterBus, RawClient, startRouter } from '@herald/testkit';
import { describe, expect, it } from 'vitest';

/** A bus engine that records what each `provide` call was given. */
class Recording extends BusEngine {
  readonly calls: Array<{ providers: number; peers: number }> = [];
  override provide(method: string, providers: number, peers: readonly PeerRef[] = []): void {
    this.calls.push({ providers, peers: peers.length });
    super.provide(method, providers);
  }
}

describe('provider announcements to the cluster', () => {
  it('name at most the first 32 providers of a method, with the exact count', async () => {
    const bus = new ClusterBus();
    const engine = new Recording('a', bus);
    await using router = await startRouter({ engine });
    const clients: RawClient[] = [];
    try {
      while (clients.length < 100) {
        const batch = await Promise.all(Array.from({ length: 20 }, (_, i) => RawClient.welcomed(router.url, { name: `p${clients.length + i}` })));
        clients.push(...batch);
      }
      for (const c of clients) c.send({ type: 'handle', id: 1, method: 'many.do' });
      for (const c of clients) await c.nextOf('handled');
      expect(engine.calls.map((c) => c.providers)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
      expect(engine.calls.map((c) => c.peers)).toEqual(Array.from({ length: 100 }, (_, i) => Math.min(i + 1, 32)));
    } finally {
      for (const c of clients) await c[Symbol.asyncDispose]();
    }
  });
});
