/**
 * PROTOCOL.md is the source of truth: every message type has a section whose example decodes to
 * that type in that direction, and every section names a real type.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CloseCode } from './close-codes.js';
import { ErrorCode } from './errors.js';
import { CLIENT_MESSAGE_SPECS, SERVER_MESSAGE_SPECS, decodeClientFrame, decodeServerFrame } from './frame.js';

const spec = readFileSync(new URL('../../../PROTOCOL.md', import.meta.url), 'utf8');

interface Section {
  type: string;
  direction: 'C→R' | 'R→C';
  example: string;
}

function sections(): Section[] {
  const found: Section[] = [];
  const heading = /^### `([a-z_]+)` \((C→R|R→C)\)$/gm;
  for (let match = heading.exec(spec); match !== null; match = heading.exec(spec)) {
    const rest = spec.slice(match.index + match[0].length);
    const next = rest.search(/^### /m);
    const body = next === -1 ? rest : rest.slice(0, next);
    const block = /^```(?:json|frame)\n([\s\S]*?)\n```$/m.exec(body);
    found.push({ type: match[1]!, direction: match[2] as Section['direction'], example: block?.[1] ?? '' });
  }
  return found;
}

describe('PROTOCOL.md', () => {
  const all = sections();

  it('has one section per message type, in both directions', () => {
    expect(all.filter((s) => s.direction === 'C→R').map((s) => s.type).sort()).toEqual(Object.keys(CLIENT_MESSAGE_SPECS).sort());
    expect(new Set(all.map((s) => `${s.type} ${s.direction}`)).size).toBe(all.length);
    expect(all.filter((s) => s.direction === 'R→C').map((s) => s.type).sort()).toEqual(Object.keys(SERVER_MESSAGE_SPECS).sort());
  });

  it.each(all.map((s) => [s.type, s.direction, s] as const))('the %s example (%s) decodes to that type', (type, direction, section) => {
    expect(section.example).not.toBe('');
    const decoded = direction === 'C→R' ? decodeClientFrame(section.example) : decodeServerFrame(section.example);
    if (!decoded.ok) throw decoded.error;
    expect(decoded.value.type).toBe(type);
  });

  it('section 3 lists exactly the messages that carry a payload, in both directions', () => {
    const frames = spec.slice(spec.indexOf('## 3. Frames'), spec.indexOf('## 4.'));
    const bullet = /^- Exactly these messages have a payload[\s\S]*?(?=^- )/m.exec(frames)?.[0] ?? '';
    const listed = [...bullet.matchAll(/`([a-z_]+)` \((C→R|R→C|both directions)/g)].flatMap(([, type, direction]) =>
      direction === 'both directions' ? [`${type} C→R`, `${type} R→C`] : [`${type} ${direction}`],
    );
    const withPayload = [
      ...Object.entries(CLIENT_MESSAGE_SPECS).filter(([, s]) => s.payload).map(([type]) => `${type} C→R`),
      ...Object.entries(SERVER_MESSAGE_SPECS).filter(([, s]) => s.payload).map(([type]) => `${type} R→C`),
    ];
    expect(listed.sort()).toEqual(withPayload.sort());
  });

  it('every example has a payload exactly when its message carries one', () => {
    for (const section of all) {
      const specs: Record<string, { payload: boolean }> = section.direction === 'C→R' ? CLIENT_MESSAGE_SPECS : SERVER_MESSAGE_SPECS;
      expect(section.example.includes('\n'), `${section.type} ${section.direction}`).toBe(specs[section.type]!.payload);
    }
  });

  it('documents every error code and every close code', () => {
    for (const code of Object.values(ErrorCode)) expect(spec).toContain(`| \`${code}\``);
    for (const code of Object.values(CloseCode)) expect(spec).toContain(`| \`${code}\``);
  });
});
