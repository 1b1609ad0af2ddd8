/**
 * The Engine contract as a test suite: run it against every engine (in-memory, Redis, ...).
 *
 *   describeEngineConformance('MemoryEngine', () => new MemoryEngine());
 *
 * Engines may deliver asynchronously, so every check awaits the events it expects.
 */
import type { Engine, EngineListener, PresenceEvent, Publication, StampedPublication } from '@herald/server';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

interface Delivered {
  publication: StampedPublication;
  subscribers: string[];
}

/** An EngineListener that records everything and lets a test await the next n events. */
class Recorder implements EngineListener {
  readonly publications: Delivered[] = [];
  readonly presence: PresenceEvent[] = [];
  readonly disconnectedUsers: string[] = [];
  #wake: (() => void) | undefined;

  onDisconnectUser(user: string): void {
    this.disconnectedUsers.push(user);
  }

  onPublication(publication: StampedPublication, subscribers: ReadonlySet<string>): void {
    this.publications.push({ publication, subscribers: [...subscribers].sort() });
    this.#wake?.();
  }

  onPresence(event: PresenceEvent): void {
    this.presence.push(event);
    this.#wake?.();
  }

  async until(check: () => boolean): Promise<void> {
    while (!check()) await new Promise<void>((resolve) => (this.#wake = resolve));
  }
}

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (data: Uint8Array): string => new TextDecoder().decode(data);

/** Publication times: now, so that history (which ages by the wall clock) keeps them. */
const NOW = Date.now();

function publication(topic: string, payload = '{"json":1}'): Publication {
  return { topic, codec: 'superjson', payload: bytes(payload), from: { id: 'pub', name: 'Publisher' }, at: NOW };
}

/**
 * Runs the Engine contract against `makeEngine`. The engine it makes must keep at least the last
 * 100 messages of every topic for at least a minute (the default history).
 */
export function describeEngineConformance(name: string, makeEngine: () => Engine | Promise<Engine>): void {
  describe(`Engine conformance: ${name}`, () => {
    let engine: Engine;
    let recorder: Recorder;

    beforeEach(async () => {
      engine = await makeEngine();
      recorder = new Recorder();
      await engine.start(recorder);
    });

    afterEach(async () => {
      await engine.close();
    });

    it('stamps offsets that grow by one per topic, within one epoch', async () => {
      const a1 = await engine.publish(publication('t.a'));
      const a2 = await engine.publish(publication('t.a'));
      const b1 = await engine.publish(publication('t.b'));
      const a3 = await engine.publish(publication('t.a'));
      expect([a1.offset, a2.offset, a3.offset]).toEqual([1, 2, 3]);
      expect(b1.offset).toBe(1);
      expect(new Set([a1.epoch, a2.epoch, a3.epoch]).size).toBe(1);
      expect(a1.epoch).toMatch(/^\S+$/);
    });

    it('delivers to matching subscribers only, each once, with the payload untouched', async () => {
      await engine.subscribe('s1', 'sensors.*.temp');
      await engine.subscribe('s1', 'sensors.>'); // overlapping: still delivered once
      await engine.subscribe('s2', 'sensors.kitchen.temp');
      await engine.subscribe('s3', 'chat.>');
      const stamp = await engine.publish(publication('sensors.kitchen.temp', '{"json":{"c":21.5}}'));
      await recorder.until(() => recorder.publications.length === 1);
      const [delivered] = recorder.publications;
      expect(delivered!.subscribers).toEqual(['s1', 's2']);
      expect(delivered!.publication).toMatchObject({ topic: 'sensors.kitchen.temp', codec: 'superjson', ...stamp });
      expect(delivered!.publication.from).toEqual({ id: 'pub', name: 'Publisher' });
      expect(delivered!.publication.at).toBe(NOW);
      expect(text(delivered!.publication.payload)).toBe('{"json":{"c":21.5}}');
    });

    it('never calls back for a publication nobody matches', async () => {
      await engine.subscribe('s1', 'a.b');
      await engine.publish(publication('nobody.listens'));
      await engine.publish(publication('a.b'));
      await recorder.until(() => recorder.publications.length === 1);
      expect(recorder.publications.map((d) => d.publication.topic)).toEqual(['a.b']);
    });

    it('keeps the publish order per topic', async () => {
      await engine.subscribe('s1', 'ordered');
      const stamps = await Promise.all(Array.from({ length: 200 }, (_, i) => engine.publish(publication('ordered', `{"json":${i}}`))));
      await recorder.until(() => recorder.publications.length === 200);
      expect(recorder.publications.map((d) => text(d.publication.payload))).toEqual(stamps.map((_, i) => `{"json":${i}}`));
      expect(recorder.publications.map((d) => d.publication.offset)).toEqual(stamps.map((s) => s.offset));
      expect(stamps.map((s) => s.offset)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    });

    it('stops delivering after unsubscribe; subscribe and unsubscribe are idempotent', async () => {
      await engine.subscribe('s1', 'x.*');
      await engine.subscribe('s1', 'x.*');
      await engine.subscribe('s2', 'x.*');
      await engine.publish(publication('x.1'));
      await recorder.until(() => recorder.publications.length === 1);
      await engine.unsubscribe('s1', 'x.*');
      await engine.unsubscribe('s1', 'x.*');
      await engine.unsubscribe('s9', 'never.subscribed');
      await engine.publish(publication('x.2'));
      await recorder.until(() => recorder.publications.length === 2);
      expect(recorder.publications.map((d) => d.subscribers)).toEqual([['s1', 's2'], ['s2']]);
    });

    it('tracks presence: joins in order, one event each, idempotent, leave with its reason', async () => {
      const kirk = { id: 'k', name: 'Kirk', connectedAt: 1 };
      const spock = { id: 's', name: 'Spock', info: { codec: 'superjson', text: '{"json":{"rank":2}}' }, connectedAt: 2 };
      await engine.join('bridge', kirk);
      await engine.join('bridge', spock);
      await engine.join('bridge', kirk); // already there: nothing happens
      await engine.join('engineering', spock);
      expect((await engine.members('bridge')).map((m) => m.id)).toEqual(['k', 's']);
      expect(await engine.members('bridge')).toEqual([kirk, spock]);
      await engine.leave('bridge', 'k', 'dropped');
      await engine.leave('bridge', 'k', 'dropped'); // already gone: nothing happens
      await engine.leave('nowhere', 'k', 'closed');
      await recorder.until(() => recorder.presence.length === 4);
      expect(recorder.presence.map((e) => [e.type, e.topic, e.member.id, e.type === 'leave' ? e.reason : ''])).toEqual([
        ['join', 'bridge', 'k', ''],
        ['join', 'bridge', 's', ''],
        ['join', 'engineering', 's', ''],
        ['leave', 'bridge', 'k', 'dropped'],
      ]);
      expect(await engine.members('bridge')).toEqual([spock]);
      expect(await engine.members('empty.topic')).toEqual([]);
    });

    it('disconnectUser (if the engine has it) resolves and does not call back its own router, which closes its own', async () => {
      if (engine.disconnectUser === undefined) return;
      await engine.subscribe('s1', 'marker');
      await engine.disconnectUser('alice', 'fired');
      // A publication after it: an engine that called back would have done so by its delivery.
      await engine.publish(publication('marker'));
      await recorder.until(() => recorder.publications.length === 1);
      expect(recorder.disconnectedUsers).toEqual([]);
    });

    it('keeps history: after an offset, the last n, since a time; untouched and in order', async () => {
      const stamps = [];
      for (let i = 1; i <= 5; i++) {
        stamps.push(await engine.publish({ ...publication('hist.a', `{"json":${i}}`), at: NOW + i }));
      }
      const { epoch } = stamps[0]!;
      const after = await engine.history('hist.a', { after: 2, epoch });
      expect(after.complete).toBe(true);
      expect(after.epoch).toBe(epoch);
      expect(after.messages.map((m) => [m.offset, text(m.payload), m.at])).toEqual([
        [3, '{"json":3}', NOW + 3],
        [4, '{"json":4}', NOW + 4],
        [5, '{"json":5}', NOW + 5],
      ]);
      expect(after.messages[0]).toMatchObject({ topic: 'hist.a', codec: 'superjson', epoch, from: { id: 'pub', name: 'Publisher' } });
      expect((await engine.history('hist.a', { after: 5, epoch })).messages).toEqual([]);
      expect((await engine.history('hist.a', { last: 2 })).messages.map((m) => m.offset)).toEqual([4, 5]);
      expect((await engine.history('hist.a', { last: 99 })).messages.map((m) => m.offset)).toEqual([1, 2, 3, 4, 5]);
      expect((await engine.history('hist.a', { since: NOW + 4 })).messages.map((m) => m.offset)).toEqual([4, 5]);
    });

    it('says when history cannot be trusted: another epoch, or a topic it does not know', async () => {
      await engine.publish(publication('hist.b'));
      const otherEpoch = await engine.history('hist.b', { after: 0, epoch: 'not-the-epoch' });
      expect(otherEpoch.complete).toBe(false);
      expect(otherEpoch.messages).toEqual([]);
      expect(otherEpoch.epoch).not.toBe('not-the-epoch');
      const unknown = await engine.history('hist.never', { after: 3, epoch: 'e' });
      expect(unknown).toEqual({ epoch: undefined, messages: [], complete: false });
      expect(await engine.history('hist.never', { last: 3 })).toEqual({ epoch: undefined, messages: [], complete: true });
    });

    it('exactly-once publish: the same pid on the same topic returns the original stamp and publishes nothing', async () => {
      await engine.subscribe('s1', 'once.>');
      const first = await engine.publish({ ...publication('once.a', '{"json":1}'), pid: 'client-1:1' });
      const again = await engine.publish({ ...publication('once.a', '{"json":"again"}'), pid: 'client-1:1' });
      const otherPid = await engine.publish({ ...publication('once.a', '{"json":2}'), pid: 'client-1:2' });
      const otherTopic = await engine.publish({ ...publication('once.b', '{"json":3}'), pid: 'client-1:1' });
      const noPid = await engine.publish(publication('once.a', '{"json":4}'));
      const noPidAgain = await engine.publish(publication('once.a', '{"json":4}'));
      expect(again).toEqual(first);
      expect([first.offset, otherPid.offset, noPid.offset, noPidAgain.offset]).toEqual([1, 2, 3, 4]);
      expect(otherTopic.offset).toBe(1);
      await recorder.until(() => recorder.publications.length === 5);
      // A later publication proves nothing else is on its way.
      await engine.publish(publication('once.end'));
      await recorder.until(() => recorder.publications.length === 6);
      expect(recorder.publications.map((d) => [d.publication.topic, text(d.publication.payload)])).toEqual([
        ['once.a', '{"json":1}'],
        ['once.a', '{"json":2}'],
        ['once.b', '{"json":3}'],
        ['once.a', '{"json":4}'],
        ['once.a', '{"json":4}'],
        ['once.end', '{"json":1}'],
      ]);
      expect((await engine.history('once.a', { last: 10 })).messages.map((m) => m.offset)).toEqual([1, 2, 3, 4]);
      if (engine.dedupeMs !== undefined) expect(engine.dedupeMs).toBeGreaterThan(0);
    });

    it('lists the topics with history that match a pattern', async () => {
      for (const topic of ['t.x.1', 't.x.2', 't.y.1', 'other']) await engine.publish(publication(topic));
      expect((await engine.topics('t.x.*')).sort()).toEqual(['t.x.1', 't.x.2']);
      expect((await engine.topics('t.>')).sort()).toEqual(['t.x.1', 't.x.2', 't.y.1']);
      expect(await engine.topics('other')).toEqual(['other']);
      expect(await engine.topics('none.*')).toEqual([]);
    });
  });
}
