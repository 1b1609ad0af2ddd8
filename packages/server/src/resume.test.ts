import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ResumeTokens } from './resume.js';

/** The token as the router minted it before its MAC was computed from precomputed pads. */
function reference(secret: string | Uint8Array, id: string, user: string | undefined): string {
  const mac = createHmac('sha256', Buffer.from(secret)).update('herald.resume.v1\0').update(id);
  if (user !== undefined) mac.update('\0u').update(user);
  return `${id}.${mac.digest('base64url')}`;
}

const ids = fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/);
/** Keys under, at and over SHA-256's 64-byte block (a longer key is hashed first). */
const secrets = fc.oneof(
  fc.uint8Array({ minLength: 16, maxLength: 200 }),
  fc.string({ minLength: 16, maxLength: 100 }),
  fc.constantFrom('0123456789abcdef', 'k'.repeat(64), 'k'.repeat(65)),
);
/** Users of any length and script, past the scratch buffer's room too. */
const users = fc.option(fc.oneof(fc.string({ maxLength: 20 }), fc.string({ unit: 'grapheme', maxLength: 200 }), fc.string({ minLength: 250, maxLength: 400 })), { nil: undefined });

describe('resume tokens', () => {
  it('are HMAC-SHA256 byte for byte, for every key length, id and user', () => {
    fc.assert(
      fc.property(secrets, ids, users, (secret, id, user) => {
        const tokens = new ResumeTokens(secret);
        expect(tokens.issue(id, user)).toBe(reference(secret, id, user));
      }),
      { numRuns: 500 },
    );
  });

  it('verify what they issue, and only for the same user', () => {
    fc.assert(
      fc.property(secrets, ids, users, fc.string({ minLength: 1, maxLength: 10 }), (secret, id, user, other) => {
        const tokens = new ResumeTokens(secret);
        const token = tokens.issue(id, user);
        expect(tokens.verify(token, user)).toBe(id);
        fc.pre(other !== user);
        expect(tokens.verify(token, other)).toBeUndefined();
      }),
      { numRuns: 200 },
    );
  });

  it('the same token after a long user, then a short one (the scratch buffer is reused)', () => {
    const tokens = new ResumeTokens('0123456789abcdef');
    const long = 'é'.repeat(300);
    expect(tokens.issue('a', long)).toBe(reference('0123456789abcdef', 'a', long));
    expect(tokens.issue('abc', 'x')).toBe(reference('0123456789abcdef', 'abc', 'x'));
    expect(tokens.issue('abc', undefined)).toBe(reference('0123456789abcdef', 'abc', undefined));
  });

  it('refuse a secret shorter than 16 bytes', () => {
    expect(() => new ResumeTokens('short')).toThrow(expect.objectContaining({ name: 'HeraldError', code: 'OPTION_INVALID' }));
  });
});
