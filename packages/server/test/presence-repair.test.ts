/**
 * Property: a presence view repaired after a gap ends equal to the truth, and what it tells its
 * watches, applied to what they had, gives exactly that: never a join of a member they have nor a
 * leave of one they do not (each change once). Whatever the view held before (stale), wherever
 * the engine's read falls among the events held during it, rejoins of a connection included; per
 * user (grace 0) and per connection.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PresenceEvent, PresenceMember } from '../src/engine.js';
import { PresenceView, type ViewKey } from '../src/presence-view.js';

const CONNECTIONS = ['c0', 'c1', 'c2', 'c3', 'c4', 'c5'];
const member = (id: string): PresenceMember => ({ id, name: id, connectedAt: 0, user: `u${Number(id.slice(1)) % 3}` });

describe('a presence view repaired after a gap', () => {
  it('ends equal to the truth, and its watches are told each change once', () => {
    fc.assert(
      fc.property(
        fc.shuffledSubarray(CONNECTIONS), // what the view had (stale)
        fc.shuffledSubarray(CONNECTIONS), // the truth when the events held begin (some came before)
        fc.array(fc.constantFrom(...CONNECTIONS), { maxLength: 12 }), // joins and leaves, as toggles
        fc.nat(),
        fc.nat(),
        fc.constantFrom<ViewKey>(0, 'connection'),
        (stale, start, toggles, lostRaw, readRaw, key) => {
          const state = new Map(start.map((id) => [id, member(id)]));
          const states = [[...state.values()]];
          const events: PresenceEvent[] = [];
          for (const id of toggles) {
            if (state.delete(id)) events.push({ type: 'leave', topic: 't', member: member(id), reason: 'closed' });
            else {
              state.set(id, member(id));
              events.push({ type: 'join', topic: 't', member: member(id) });
            }
            states.push([...state.values()]);
          }
          // Events before `lost` were lost (the gap); the members are read after event `read`.
          const lost = lostRaw % (events.length + 1);
          const read = lost + (readRaw % (events.length - lost + 1));
          const told: PresenceEvent[] = [];
          const view = new PresenceView<never>('t', key, (event) => told.push(event), () => {});
          view.seed(stale.map(member), () => {});
          const had = new Set(view.members().map((m) => m.id));
          const repair = view.startRepair();
          expect(repair).toBeDefined();
          for (const event of events.slice(lost)) view.apply(event);
          expect(told).toEqual([]); // held during the read
          view.repaired(repair!, states[read]!, 'dropped');
          for (const event of told) {
            expect(had.has(event.member.id)).toBe(event.type === 'leave');
            if (event.type === 'join') had.add(event.member.id);
            else had.delete(event.member.id);
          }
          const truth = new Set([...state.values()].map((m) => (key === 'connection' ? m.id : m.user!)));
          expect(had).toEqual(truth);
          expect(new Set(view.members().map((m) => m.id))).toEqual(truth);
          expect(view.connections).toBe(state.size);
          view.close();
        },
      ),
      { numRuns: 500 },
    );
  });
});
