/**
 * The client connection's state machine (STYLE.md §5): the TRANSITIONS table against the diagram
 * drawn in state.ts and PROTOCOL.md §11.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type ClientState, type StateChangeReason, TRANSITIONS, checkTransition } from './state.js';

const STATES: readonly ClientState[] = ['connecting', 'open', 'reconnecting', 'closed'];

/** Every arrow of the diagram, with the reasons written on it. */
const DRAWN: ReadonlyArray<{ from: ClientState; to: ClientState; reasons: readonly StateChangeReason[] }> = [
  { from: 'connecting', to: 'open', reasons: ['welcomed'] },
  { from: 'connecting', to: 'closed', reasons: ['connect_failed', 'client_closed'] },
  { from: 'open', to: 'reconnecting', reasons: ['connection_lost', 'router_closed', 'heartbeat_timeout'] },
  { from: 'open', to: 'closed', reasons: ['client_closed', 'router_closed'] },
  { from: 'reconnecting', to: 'open', reasons: ['welcomed'] },
  { from: 'reconnecting', to: 'closed', reasons: ['client_closed', 'reconnect_failed'] },
];

const edge = (from: ClientState, to: ClientState): string => `${from}→${to}`;

/** The diagram in a text, with the line drawing's widths normalized so two copies compare equal. */
function diagramLines(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.replace(/^\s*\*/, ''))
    .filter((line) => /[│▶◀▼▲┘└┤]/.test(line) || /\bwelcomed\b/.test(line))
    .map((line) => line.replace(/[─\s]+/g, ' ').trim());
}

function protocolDiagram(): string {
  const protocol = readFileSync(new URL('../../../PROTOCOL.md', import.meta.url), 'utf8');
  const section = protocol.slice(protocol.indexOf('## 11. Client obligations'));
  const start = section.indexOf('```');
  const end = section.indexOf('```', start + 3);
  expect(start).toBeGreaterThan(-1);
  expect(end).toBeGreaterThan(start);
  return section.slice(start + 3, end);
}

function stateDiagram(): string {
  const source = readFileSync(new URL('./state.ts', import.meta.url), 'utf8');
  return source.slice(source.indexOf('/**'), source.indexOf('*/'));
}

describe('TRANSITIONS', () => {
  it('has exactly the four states', () => {
    expect(Object.keys(TRANSITIONS).sort()).toStrictEqual([...STATES].sort());
  });

  it('allows exactly the transitions drawn: connecting→open|closed, open→reconnecting|closed, reconnecting→open|closed', () => {
    const table = STATES.flatMap((from) => TRANSITIONS[from].map((to) => edge(from, to))).sort();
    expect(table).toStrictEqual(DRAWN.map(({ from, to }) => edge(from, to)).sort());
    expect(TRANSITIONS.connecting).toStrictEqual(['open', 'closed']);
    expect(TRANSITIONS.open).toStrictEqual(['reconnecting', 'closed']);
    expect(TRANSITIONS.reconnecting).toStrictEqual(['open', 'closed']);
  });

  it('lists no transition twice and no state to itself', () => {
    for (const from of STATES) {
      expect(new Set(TRANSITIONS[from]).size).toBe(TRANSITIONS[from].length);
      expect(TRANSITIONS[from]).not.toContain(from);
    }
  });

  it('reaches every state from connecting', () => {
    const seen = new Set<ClientState>(['connecting']);
    const queue: ClientState[] = ['connecting'];
    for (let state = queue.shift(); state !== undefined; state = queue.shift()) {
      for (const next of TRANSITIONS[state]) {
        if (!seen.has(next)) {
          seen.add(next);
          queue.push(next);
        }
      }
    }
    expect([...seen].sort()).toStrictEqual([...STATES].sort());
  });

  it('closed is terminal, and every other state can reach it', () => {
    expect(TRANSITIONS.closed).toStrictEqual([]);
    for (const state of STATES.filter((s) => s !== 'closed')) expect(TRANSITIONS[state]).toContain('closed');
  });

  it('checkTransition accepts exactly the table and throws for every other pair', () => {
    const allowed = new Set(DRAWN.map(({ from, to }) => edge(from, to)));
    let thrown = 0;
    for (const from of STATES) {
      for (const to of STATES) {
        if (allowed.has(edge(from, to))) {
          expect(() => checkTransition(from, to)).not.toThrow();
        } else {
          expect(() => checkTransition(from, to)).toThrow(Error);
          thrown++;
        }
      }
    }
    expect(thrown).toBe(STATES.length * STATES.length - DRAWN.length);
  });
});

describe('the drawn diagram', () => {
  it('is the same picture in state.ts and PROTOCOL.md §11', () => {
    const drawn = diagramLines(protocolDiagram());
    expect(drawn.length).toBeGreaterThanOrEqual(5);
    expect(diagramLines(stateDiagram())).toStrictEqual(drawn);
  });

  it('names every state and every reason written on an arrow', () => {
    const diagram = protocolDiagram();
    for (const state of STATES) expect(diagram).toMatch(new RegExp(`\\b${state}\\b`));
    for (const reason of new Set(DRAWN.flatMap((arrow) => arrow.reasons))) expect(diagram).toMatch(new RegExp(`\\b${reason}\\b`));
  });
});
