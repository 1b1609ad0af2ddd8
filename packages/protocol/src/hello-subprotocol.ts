/**
 * The hello carried in the upgrade request (PROTOCOL.md §2, "Hello in the upgrade"). Beside its
 * codec subprotocol, a client may offer one more `Sec-WebSocket-Protocol` entry,
 * `herald.v1.hello.<base64url of its hello frame>`: the router then runs the hello at the upgrade
 * and writes the welcome behind the 101, in the same write, which saves the connect a read and a
 * write on both sides (issue 16). A browser can set subprotocols but no other header, and the
 * entry keeps a token out of URLs and access logs (Kubernetes carries bearer tokens the same way).
 * The router never selects this entry: it selects the codec's `herald.v1.<codec>`.
 */
import { NodeBuffer } from '#node-buffer';
import { fromBase64Url, toBase64 } from './base64.js';
import { ProtocolError, VERBOSE_ERRORS } from './errors.js';
import { decodeClientFrame } from './frame.js';
import type { HelloMsg } from './messages.js';
import { type Result, err } from './result.js';

/** What the hello entry starts with; the rest is the hello frame in base64url, without padding. */
export const HELLO_SUBPROTOCOL_PREFIX = 'herald.v1.hello.';

/**
 * The longest hello entry, prefix included, in characters. Proxies commonly take 8 KiB per header
 * line and Node 16 KiB for all headers; a client whose hello is longer (a large `info`) sends it
 * as the first frame instead. A router refuses a longer entry with 4000 `HELLO_INVALID`.
 */
export const MAX_HELLO_SUBPROTOCOL = 4096;

/**
 * The subprotocol entry that carries `frame` (an encoded `hello` frame), or undefined when it would
 * be longer than {@link MAX_HELLO_SUBPROTOCOL}: the hello then goes as the first frame.
 */
export function helloSubprotocol(frame: string): string | undefined {
  // Base64 of the UTF-8 is at least 4/3 of the UTF-16 length: a longer frame cannot fit.
  // toBase64, which the page has anyway for binary payloads.
  if (frame.length * 4 > MAX_HELLO_SUBPROTOCOL * 3) return undefined;
  // On Node, Buffer writes base64url itself: one call instead of a TextEncoder, standard base64
  // and a replace (about 0.7 µs of the client's connect; browser builds leave it out, #node-buffer).
  const entry =
    HELLO_SUBPROTOCOL_PREFIX +
    (NodeBuffer !== undefined
      ? NodeBuffer.from(frame, 'utf8').toString('base64url')
      : toBase64(new TextEncoder().encode(frame)).replace(/[+/=]/g, (c) => (c === '+' ? '-' : c === '/' ? '_' : '')));
  return entry.length > MAX_HELLO_SUBPROTOCOL ? undefined : entry;
}

/**
 * Decodes a hello entry (one that starts with {@link HELLO_SUBPROTOCOL_PREFIX}). Never throws:
 * an entry that is too long, not canonical base64url, not UTF-8, or not exactly one `hello` frame
 * without a payload is a `ProtocolError` with code `HELLO_INVALID`. The hello's fields are then
 * checked as a first-frame hello's are (name length, info size and codec).
 */
export function decodeHelloSubprotocol(entry: string): Result<HelloMsg, ProtocolError> {
  if (entry.length > MAX_HELLO_SUBPROTOCOL) return invalid(`the hello entry is longer than ${MAX_HELLO_SUBPROTOCOL} characters`);
  if (!entry.startsWith(HELLO_SUBPROTOCOL_PREFIX)) return invalid(`the hello entry must start with ${HELLO_SUBPROTOCOL_PREFIX}`);
  const text = entry.slice(HELLO_SUBPROTOCOL_PREFIX.length);
  let bytes: Uint8Array;
  try {
    // Refuses other characters, a length of 4n+1 and non-canonical trailing bits (one check of the
    // alphabet per connect, there); on Node, Buffer's base64url decoder (base64.ts).
    bytes = fromBase64Url(text);
  } catch {
    return invalid('the hello entry is not canonical base64url');
  }
  const decoded = decodeClientFrame(bytes);
  if (!decoded.ok) return invalid(VERBOSE_ERRORS ? `the hello entry is not a hello frame: ${decoded.error.message}` : decoded.error.code);
  if (decoded.value.type !== 'hello') return invalid('the hello entry is not a hello frame');
  return decoded as Result<HelloMsg, ProtocolError>; // the decoder's own result: no second one per connect
}

function invalid(message: string): Result<never, ProtocolError> {
  return err(new ProtocolError('HELLO_INVALID', VERBOSE_ERRORS ? message : 'hello'));
}
