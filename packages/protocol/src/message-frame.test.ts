import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeServerFrame, decodeServerFrameGeneral } from './frame.js';
import { readMessageFrame } from './message-frame.js';
import type { ServerMessage } from './messages.js';
import type { ProtocolError } from './errors.js';
import type { Result } from './result.js';

/** A decode result in a comparable form: the message, or the error's code and id. */
function outcome(result: Result<ServerMessage, ProtocolError>): unknown {
  return result.ok ? { ok: true, value: result.value } : { ok: false, code: result.error.code, id: result.error.id };
}

/** The header exactly as the router writes it (packages/server/src/frames.ts). */
function routerFrame(fields: { topic: string; epoch: string; offset: number; at: number; from: object; replay?: number }, payload: string): string {
  const { topic, epoch, offset, at, from, replay } = fields;
  const header = JSON.stringify({ type: 'message', topic, epoch, offset, at, from, ...(replay !== undefined && { replay }) });
  return `${header}\n${payload}`;
}

/** Every UTF-16 code unit, lone surrogates included. */
const anyUnit = fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code));
const plainUnit = fc.constantFrom('a', 'Z', '0', '.', '*', '>', '_', '-', ' ', 'é', '日', '\u{1F600}');
const awkward = fc.constantFrom('"', '\\', '\n', '\r', '\u0000', '\u001f', '\u007f', '\u2028', '\ud800', '/', '{', '}', ',', ':');
const text = fc.oneof(
  fc.string({ unit: plainUnit, maxLength: 16 }),
  fc.string({ unit: anyUnit, maxLength: 8 }),
  fc.string({ unit: fc.oneof(plainUnit, awkward), maxLength: 8 }),
);
const number = fc.oneof(
  fc.nat(),
  fc.maxSafeNat(),
  fc.integer({ min: 99_999_999_999_990, max: 100_000_000_000_010 }),
  fc.integer({ min: 999_999_999_999_990, max: 1_000_000_000_000_010 }),
  fc.integer({ min: -10, max: -1 }),
  fc.double(),
  fc.constantFrom(0, -0, 1.5, 2 ** 53, 2 ** 53 - 1, 1e21, 1795341600000),
);
const peer = fc.oneof(
  fc.record({ id: text, name: text }),
  fc.record({ id: text, name: text, user: text }),
  fc.record({ id: text, name: text, user: fc.oneof(fc.integer(), fc.constant(null)) }),
  fc.record({ name: text, id: text }),
  fc.record({ id: text }),
);
const fields = fc.record(
  { topic: text, epoch: text, offset: number, at: number, from: peer, replay: number },
  { requiredKeys: ['topic', 'epoch', 'offset', 'at', 'from'] },
);
const payload = fc.oneof(fc.constant('{"json":1}'), fc.string({ unit: anyUnit, maxLength: 12 }));
/** Fields the fast path takes: strings that need no escape, numbers of at most 15 digits. */
const plain = fc.string({ unit: plainUnit, maxLength: 16 });
const small = fc.oneof(fc.nat({ max: 1000 }), fc.integer({ min: 0, max: 999_999_999_999_999 }));
const plainFields = fc.record(
  { topic: plain, epoch: plain, offset: small, at: small, from: fc.oneof(fc.record({ id: plain, name: plain }), fc.record({ id: plain, name: plain, user: plain })), replay: small },
  { requiredKeys: ['topic', 'epoch', 'offset', 'at', 'from'] },
);

/** A frame the router could write, or one a hand-written or hostile peer could. */
const frame = fc.oneof(
  fc.tuple(plainFields, payload).map(([f, p]) => routerFrame(f, p)),
  fc.tuple(fields, payload).map(([f, p]) => routerFrame(f, p)),
  // The same without the payload.
  fields.map((f) => routerFrame(f, '').slice(0, -1)),
  // Another key order, other keys, whitespace, another type.
  fc.tuple(fields, payload, fc.dictionary(fc.constantFrom('extra', 'type', 'topic', 'payload', 'replay', '__proto__'), fc.jsonValue()), fc.boolean()).map(
    ([f, p, extra, spaced]) => `${JSON.stringify({ type: 'message', ...extra, ...f }, null, spaced ? 1 : undefined)}\n${p}`,
  ),
);
/** A frame with characters replaced, inserted or deleted. */
const mutated = fc.tuple(frame, fc.array(fc.tuple(fc.nat(), fc.nat({ max: 2 }), fc.oneof(anyUnit, awkward, fc.constantFrom('1', '.', 'e', '-', ' ', '0'))), { minLength: 1, maxLength: 3 })).map(
  ([input, edits]) => {
    let out = input;
    for (const [at, kind, unit] of edits) {
      const i = at % (out.length + 1);
      out = kind === 0 ? out.slice(0, i) + unit + out.slice(i + 1) : kind === 1 ? out.slice(0, i) + unit + out.slice(i) : out.slice(0, i) + out.slice(i + 1);
    }
    return out;
  },
);

describe('readMessageFrame (the fast path of decodeServerFrame)', () => {
  it('reads the router layout of the spec example, and repeats give the same strings', () => {
    const input =
      '{"type":"message","topic":"sensors.kitchen.temp","epoch":"Zx81bQe0LmPa","offset":42,"at":1795341600000,"from":{"id":"q3ZkP0aB1cDe","name":"Kirk"}}\n{"json":{"celsius":21.5}}';
    const expected = {
      type: 'message',
      topic: 'sensors.kitchen.temp',
      epoch: 'Zx81bQe0LmPa',
      offset: 42,
      at: 1795341600000,
      from: { id: 'q3ZkP0aB1cDe', name: 'Kirk' },
      payload: '{"json":{"celsius":21.5}}',
    };
    expect(readMessageFrame(input)).toStrictEqual(expected);
    expect(readMessageFrame(input.replace('42', '43'))).toStrictEqual({ ...expected, offset: 43 });
    expect(outcome(decodeServerFrame(input))).toStrictEqual(outcome(decodeServerFrameGeneral(input)));
  });

  it.each([
    ['a replay', '{"type":"message","topic":"a","epoch":"e","offset":0,"at":1,"from":{"id":"c","name":"n"},"replay":7}\nnull', true],
    ['a publisher with a user', '{"type":"message","topic":"a","epoch":"e","offset":1,"at":1,"from":{"id":"c","name":"n","user":"u"}}\nnull', true],
    ['an empty payload', '{"type":"message","topic":"a","epoch":"e","offset":1,"at":1,"from":{"id":"c","name":"n"}}\n', true],
    ['an escaped topic', '{"type":"message","topic":"a\\u002eb","epoch":"e","offset":1,"at":1,"from":{"id":"c","name":"n"}}\nnull', false],
    ['an offset written 1.0', '{"type":"message","topic":"a","epoch":"e","offset":1.0,"at":1,"from":{"id":"c","name":"n"}}\nnull', false],
    ['an offset with a leading zero', '{"type":"message","topic":"a","epoch":"e","offset":01,"at":1,"from":{"id":"c","name":"n"}}\nnull', false],
    ['16 digits', '{"type":"message","topic":"a","epoch":"e","offset":9007199254740993,"at":1,"from":{"id":"c","name":"n"}}\nnull', false],
    ['a negative time', '{"type":"message","topic":"a","epoch":"e","offset":1,"at":-1,"from":{"id":"c","name":"n"}}\nnull', false],
    ['no payload', '{"type":"message","topic":"a","epoch":"e","offset":1,"at":1,"from":{"id":"c","name":"n"}}', false],
    ['a space before the line feed', '{"type":"message","topic":"a","epoch":"e","offset":1,"at":1,"from":{"id":"c","name":"n"}} \nnull', false],
    ['a raw tab in the name', '{"type":"message","topic":"a","epoch":"e","offset":1,"at":1,"from":{"id":"c","name":"\t"}}\nnull', false],
    ['another field', '{"type":"message","topic":"a","epoch":"e","offset":1,"at":1,"from":{"id":"c","name":"n"},"x":1}\nnull', false],
  ])('%s: read fast = %s, and the same outcome as the general decoder', (_name, input, fast) => {
    expect(readMessageFrame(input) !== undefined).toBe(fast);
    expect(outcome(decodeServerFrame(input))).toStrictEqual(outcome(decodeServerFrameGeneral(input)));
  });

  it('differential: whatever it reads equals the general decoder, and decodeServerFrame always agrees with it', () => {
    fc.assert(
      fc.property(fc.oneof(frame, mutated), (input) => {
        const fast = readMessageFrame(input);
        const general = decodeServerFrameGeneral(input);
        if (fast !== undefined) expect({ ok: true, value: fast }).toStrictEqual(outcome(general));
        expect(outcome(decodeServerFrame(input))).toStrictEqual(outcome(general));
      }),
      { numRuns: 5000 },
    );
  });

  it('takes every router frame whose strings need no escape and whose numbers have at most 15 digits', () => {
    fc.assert(
      fc.property(
        plainFields,
        payload,
        (fields, body) => {
          const input = routerFrame(fields, body);
          const general = decodeServerFrameGeneral(input);
          expect(general.ok).toBe(true);
          expect(readMessageFrame(input)).toStrictEqual(general.ok && general.value);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
