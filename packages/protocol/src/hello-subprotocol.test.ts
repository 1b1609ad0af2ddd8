import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { encodeFrame } from './frame.js';
import * as node from './hello-subprotocol.js';
import type { HelloMsg } from './messages.js';

import { withoutBuffer } from './without-buffer.test-support.js';

/** The module as a browser loads it: no Buffer, so btoa and atob underneath. */
const web = await withoutBuffer(() => import('./hello-subprotocol.js'));

const { HELLO_SUBPROTOCOL_PREFIX: PREFIX, MAX_HELLO_SUBPROTOCOL: MAX } = node;

/** Any hello: every field optional, any text (lone surrogates excluded: JSON cannot carry them as UTF-8). */
const hellos: fc.Arbitrary<HelloMsg> = fc.record(
  {
    type: fc.constant('hello' as const),
    name: fc.string({ unit: 'grapheme', maxLength: 40 }),
    info: fc.string({ unit: 'grapheme', maxLength: 200 }),
    token: fc.string({ maxLength: 400 }),
    resume: fc.string({ maxLength: 120 }),
  },
  { requiredKeys: ['type'] },
);

/** An RFC 9110 token character: what a browser lets a subprotocol contain. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

describe.each([
  ['Node (Buffer)', node],
  ['browsers (atob and btoa)', web],
])('the hello subprotocol entry in %s', (_name, { decodeHelloSubprotocol, helloSubprotocol }) => {
  it('round-trips any hello that fits, as a valid subprotocol token', () => {
    fc.assert(
      fc.property(hellos, (hello) => {
        const entry = helloSubprotocol(encodeFrame(hello) as string);
        if (entry === undefined) return;
        expect(entry.startsWith(PREFIX)).toBe(true);
        expect(entry.length).toBeLessThanOrEqual(MAX);
        expect(entry).toMatch(TOKEN);
        expect(decodeHelloSubprotocol(entry)).toEqual({ ok: true, value: hello });
      }),
    );
  });

  it('gives undefined (send a frame) for a hello over the limit, and fits one just under it', () => {
    const long = encodeFrame({ type: 'hello', token: 'x'.repeat(3100) }) as string;
    expect(helloSubprotocol(long)).toBeUndefined();
    const fits = encodeFrame({ type: 'hello', token: 'x'.repeat(3000) }) as string;
    expect(helloSubprotocol(fits)!.length).toBeLessThanOrEqual(MAX);
    // Multi-byte text grows in UTF-8: the bound holds on the encoded length.
    expect(helloSubprotocol(encodeFrame({ type: 'hello', name: '😀'.repeat(800) }) as string)).toBeUndefined();
  });

  it('never throws on arbitrary entries: a hello or HELLO_INVALID', () => {
    const base64url = fc.string({ unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'), maxLength: 300 });
    fc.assert(
      fc.property(fc.oneof(fc.string(), base64url.map((s) => PREFIX + s), fc.string().map((s) => PREFIX + s)), (entry) => {
        const decoded = decodeHelloSubprotocol(entry);
        if (decoded.ok) expect(decoded.value.type).toBe('hello');
        else expect(decoded.error.code).toBe('HELLO_INVALID');
      }),
    );
  });

  it.each([
    ['too long', PREFIX + 'A'.repeat(MAX)],
    ['without the prefix', 'herald.v1.superjson'],
    ['standard base64 characters', PREFIX + 'eyJ0eXBlIjoiaGVsbG8ifQ+/'],
    ['padding', PREFIX + 'eyJ0eXBlIjoiaGVsbG8ifQ=='],
    ['an impossible length', PREFIX + 'eyJ0eXBlIjoiaGVsbG8ifQAAA'],
    ['non-canonical trailing bits', PREFIX + 'eyJ0eXBlIjoiaGVsbG8ifR'],
    ['invalid UTF-8', PREFIX + Buffer.from([0x7b, 0xff, 0x7d]).toString('base64url')],
    ['not a hello', PREFIX + Buffer.from('{"type":"ping","id":1}').toString('base64url')],
    ['a hello with a payload', PREFIX + Buffer.from('{"type":"hello"}\nnull').toString('base64url')],
    ['a numeric name', PREFIX + Buffer.from('{"type":"hello","name":1}').toString('base64url')],
  ])('refuses an entry %s with HELLO_INVALID', (_case, entry) => {
    const decoded = decodeHelloSubprotocol(entry);
    expect(decoded.ok ? 'ok' : decoded.error.code).toBe('HELLO_INVALID');
  });

  it('decodes the example of PROTOCOL.md', () => {
    expect(decodeHelloSubprotocol('herald.v1.hello.eyJ0eXBlIjoiaGVsbG8iLCJuYW1lIjoiS2lyayJ9')).toEqual({ ok: true, value: { type: 'hello', name: 'Kirk' } });
  });
});

describe('the hello entry decoder on Node (Buffer base64url) against the general one', () => {
  const URL_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  /** Text near base64url: its alphabet at every length, with now and then a character it refuses. */
  const nearBase64Url = fc.oneof(
    fc.string({ unit: fc.constantFrom(...URL_ALPHABET), maxLength: 200 }),
    fc.string({ unit: fc.constantFrom(...URL_ALPHABET, '=', '+', '/', ' ', '\n', '.', 'é'), maxLength: 60 }),
    fc.string(),
  );
  const outcome = (decode: (text: string) => Uint8Array, text: string): number[] | 'refused' => {
    try {
      return [...decode(text)];
    } catch (error) {
      expect(error).toBeInstanceOf(TypeError);
      return 'refused';
    }
  };

  it('fromBase64Url accepts and refuses exactly what the general decoder (Node and browser builds) does, with the same bytes', async () => {
    const nodeBase64 = await import('./base64.js');
    const webBase64 = await withoutBuffer(() => import('./base64.js'));
    fc.assert(
      fc.property(nearBase64Url, (text) => {
        const fast = outcome(nodeBase64.fromBase64Url, text);
        expect(fast).toEqual(outcome(nodeBase64.fromBase64UrlGeneral, text));
        expect(fast).toEqual(outcome(webBase64.fromBase64Url, text));
      }),
      { numRuns: 2000 },
    );
    // Every last character of a short text, so each leftover-bits case is covered.
    for (const rest of ['', 'A', 'AA', 'AAA']) {
      for (const last of URL_ALPHABET) {
        const text = `QUJD${rest}${last}`;
        expect(outcome(nodeBase64.fromBase64Url, text)).toEqual(outcome(nodeBase64.fromBase64UrlGeneral, text));
      }
    }
  });

  it('decodeHelloSubprotocol gives the same hello or the same error code on both builds', () => {
    const entries = fc.oneof(
      hellos.map((hello) => node.helloSubprotocol(encodeFrame(hello) as string) ?? PREFIX),
      nearBase64Url.map((text) => PREFIX + text),
      // A valid entry with its last character changed: leftover bits, or another hello.
      fc.tuple(hellos, fc.constantFrom(...URL_ALPHABET)).map(([hello, last]) => (node.helloSubprotocol(encodeFrame(hello) as string) ?? PREFIX).slice(0, -1) + last),
    );
    const result = (decoded: ReturnType<typeof node.decodeHelloSubprotocol>): unknown => (decoded.ok ? decoded.value : decoded.error.code);
    fc.assert(
      fc.property(entries, (entry) => {
        expect(result(node.decodeHelloSubprotocol(entry))).toEqual(result(web.decodeHelloSubprotocol(entry)));
      }),
      { numRuns: 1000 },
    );
  });

  it('helloSubprotocol gives the same entry on both builds (Buffer base64url on Node, btoa and a replace elsewhere)', () => {
    const frames = fc.oneof(
      hellos.map((hello) => encodeFrame(hello) as string),
      // Any text, lone surrogates included (both write U+FFFD), near and over the limit.
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.string({ unit: 'grapheme', minLength: 2900, maxLength: 3200 }),
    );
    fc.assert(
      fc.property(frames, (frame) => {
        expect(node.helloSubprotocol(frame)).toEqual(web.helloSubprotocol(frame));
      }),
      { numRuns: 1000 },
    );
  });

  it('encodes and decodes with Buffer base64url on Node, not through TextEncoder and standard base64', () => {
    const from = vi.spyOn(Buffer, 'from');
    try {
      const entry = node.helloSubprotocol(encodeFrame({ type: 'hello', name: 'Kirk' }) as string)!;
      expect(node.decodeHelloSubprotocol(entry)).toEqual({ ok: true, value: { type: 'hello', name: 'Kirk' } });
      const encodings = from.mock.calls.map((call) => (call as unknown[])[1]).filter((encoding) => typeof encoding === 'string');
      expect(encodings).toEqual(['utf8', 'base64url']);
    } finally {
      from.mockRestore();
    }
  });
});
