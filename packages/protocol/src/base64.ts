import { NodeBuffer } from '#node-buffer';
import { VERBOSE_ERRORS } from './errors.js';

/**
 * Standard base64 (RFC 4648 §4, with padding). Node's Buffer where there is one (several times
 * faster than a loop in JavaScript), `btoa` and `atob` elsewhere (native in browsers, and small);
 * browser builds leave the Buffer path out (`#node-buffer`).
 */

/** Canonical padded base64: the alphabet, then at most two `=`; the length is checked apart. */
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Encodes bytes as base64 text. */
export function toBase64(bytes: Uint8Array): string {
  if (NodeBuffer !== undefined) return NodeBuffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
  let binary = '';
  // In slices: a function takes at most some tens of thousands of arguments.
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/** Decodes base64 text into a Uint8Array of its own; throws a TypeError on anything that is not canonical padded base64. */
export function fromBase64(text: string): Uint8Array {
  if (NodeBuffer !== undefined) {
    if (text.length % 4 !== 0 || !BASE64.test(text)) throw notBase64();
    // Canonical only: the bits padding leaves over must be zero ('Zh==' is not 'Zg==').
    const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
    if (padding > 0 && (ALPHABET.indexOf(text[text.length - padding - 1]!) & (padding === 2 ? 15 : 3)) !== 0) throw notBase64();
    // A copy, not a Buffer: Node hands small Buffers out of a shared pool.
    return new Uint8Array(NodeBuffer.from(text, 'base64'));
  }
  // atob is lenient (white space, missing padding, leftover bits): canonical text is exactly what
  // encoding the bytes again gives back. (Less code in a page than the checks above.)
  let binary = '';
  try {
    binary = atob(text);
  } catch {
    // not base64 at all: the comparison below refuses it
  }
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  if (toBase64(bytes) !== text) throw notBase64();
  return bytes;
}

/** base64url without padding (RFC 4648 §5). */
const BASE64URL = /^[A-Za-z0-9_-]*$/;

/**
 * Decodes canonical base64url without padding (RFC 4648 §5); throws a TypeError on anything else
 * (a character outside the alphabet, a length of 4n + 1, bits left over in the last character).
 * On Node, Buffer's own base64url decoder, without a detour through standard base64 (about 2-3 µs
 * less per hello entry); the result may then be a view into Buffer's shared pool: read it, do not
 * keep it. Elsewhere, {@link fromBase64} on the text translated to standard base64.
 */
export function fromBase64Url(text: string): Uint8Array {
  const rest = text.length % 4;
  if (rest === 1 || !BASE64URL.test(text)) throw notBase64();
  if (NodeBuffer !== undefined) {
    // Canonical only, as fromBase64: the bits the last character has over must be zero.
    const last = text[text.length - 1]!;
    if (rest !== 0 && (ALPHABET.indexOf(last === '-' ? '+' : last === '_' ? '/' : last) & (rest === 2 ? 15 : 3)) !== 0) throw notBase64();
    return NodeBuffer.from(text, 'base64url');
  }
  return fromBase64UrlGeneral(text);
}

/** @internal {@link fromBase64Url} without Buffer's base64url decoder: what the differential test compares it with. */
export function fromBase64UrlGeneral(text: string): Uint8Array {
  if (text.length % 4 === 1 || !BASE64URL.test(text)) throw notBase64();
  return fromBase64(text.replace(/[-_]/g, (c) => (c === '-' ? '+' : '/')) + '='.repeat((4 - (text.length % 4)) % 4));
}

function notBase64(): TypeError {
  return new TypeError(VERBOSE_ERRORS ? 'not canonical base64: the standard alphabet in groups of 4 characters, padded with =, no bits left over' : 'base64');
}
