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

function notBase64(): TypeError {
  return new TypeError(VERBOSE_ERRORS ? 'not canonical base64: the standard alphabet in groups of 4 characters, padded with =, no bits left over' : 'base64');
}
