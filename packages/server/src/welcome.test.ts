import { decodeServerFrame, encodeFrame } from '@herald/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { textFrame } from './frame-once.js';
import { WelcomeFrames } from './welcome.js';

const text = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: 'grapheme', maxLength: 40 }), fc.constantFrom('"', '\\', '\u2028', '</script>', '\u0000'));
const optionalNumber = fc.option(fc.oneof(fc.integer(), fc.double({ noNaN: true })), { nil: undefined });

describe('welcome frames', () => {
  it('are the text encodeFrame gives for the same welcome, for any names, users and options', () => {
    fc.assert(
      fc.property(
        fc.record({ id: fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/), name: text, resume: fc.string(), user: fc.option(text, { nil: undefined }) }),
        fc.record({ dedupeMs: optionalNumber, expiresAt: optionalNumber }),
        fc.record({ routerId: fc.string(), routerName: text, maxPayload: fc.nat(), heartbeatMs: fc.nat(), heartbeatTimeoutMs: fc.nat(), errorStacks: fc.boolean() }),
        (connection, extra, router) => {
          const frames = new WelcomeFrames({
            router: { id: router.routerId, name: router.routerName },
            maxPayload: router.maxPayload,
            heartbeatMs: router.heartbeatMs,
            heartbeatTimeoutMs: router.heartbeatTimeoutMs,
            errorStacks: router.errorStacks,
          });
          const expected = encodeFrame({
            type: 'welcome',
            version: 1,
            id: connection.id,
            name: connection.name,
            resume: connection.resume,
            ...(extra.dedupeMs !== undefined && { dedupeMs: extra.dedupeMs }),
            ...(connection.user !== undefined && { user: connection.user }),
            ...(extra.expiresAt !== undefined && { expiresAt: extra.expiresAt }),
            router: { id: router.routerId, name: router.routerName },
            maxPayload: router.maxPayload,
            heartbeatMs: router.heartbeatMs,
            heartbeatTimeoutMs: router.heartbeatTimeoutMs,
            ...(router.errorStacks && { errorStacks: true }),
          });
          expect(frames.frame({ ...connection, ...extra })).toBe(expected);
          // Written straight into its WebSocket frame: the same bytes textFrame() gives for the text.
          expect(frames.frameBytes({ ...connection, ...extra })).toEqual(textFrame(String(expected)));
          // A client without a name is named after its id (the welcome writes that name apart).
          const unnamed = { ...connection, name: connection.id };
          expect(typeof expected).toBe('string'); // a welcome has no payload: encodeFrame gives text
          expect(frames.frame({ ...unnamed, ...extra })).toBe(String(expected).replace(`"name":${JSON.stringify(connection.name)}`, `"name":${JSON.stringify(connection.id)}`));
          expect(frames.frameBytes({ ...unnamed, ...extra })).toEqual(textFrame(frames.frame({ ...unnamed, ...extra })));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('are framed straight into their bytes as textFrame() frames their text, whatever the ids and tokens hold', () => {
    const frames = new WelcomeFrames({ router: { id: 'r1', name: 'routér' }, maxPayload: 1024, heartbeatMs: 10_000, heartbeatTimeoutMs: 30_000, errorStacks: false });
    fc.assert(
      fc.property(
        fc.record({ id: fc.oneof(fc.stringMatching(/^[A-Za-z0-9_.-]{0,64}$/), text), resume: fc.oneof(fc.stringMatching(/^[A-Za-z0-9_.-]{0,90}$/), text) }),
        fc.record({ name: fc.option(text, { nil: undefined }), user: fc.option(text, { nil: undefined }), dedupeMs: optionalNumber, expiresAt: optionalNumber }),
        ({ id, resume }, { name, ...rest }) => {
          const fields = { id, name: name ?? id, resume, ...rest };
          expect(frames.frameBytes(fields)).toEqual(textFrame(frames.frame(fields)));
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('decode as a welcome', () => {
    const frames = new WelcomeFrames({ router: { id: 'r1', name: 'router' }, maxPayload: 1024, heartbeatMs: 10_000, heartbeatTimeoutMs: 30_000, errorStacks: false });
    const decoded = decodeServerFrame(frames.frame({ id: 'abcdefghijkl', name: 'Captain "Q"', resume: 'abcdefghijkl.sig', dedupeMs: 60_000 }));
    expect(decoded).toEqual({
      ok: true,
      value: {
        type: 'welcome',
        version: 1,
        id: 'abcdefghijkl',
        name: 'Captain "Q"',
        resume: 'abcdefghijkl.sig',
        dedupeMs: 60_000,
        router: { id: 'r1', name: 'router' },
        maxPayload: 1024,
        heartbeatMs: 10_000,
        heartbeatTimeoutMs: 30_000,
      },
    });
  });
});
