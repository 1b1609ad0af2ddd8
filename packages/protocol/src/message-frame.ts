/**
 * The fast path of {@link decodeServerFrame} for the frame a client receives most: a `message` whose
 * header is laid out exactly as Herald's router writes it (`JSON.stringify` of `type, topic, epoch,
 * offset, at, from {id, name, user?}, replay?`, in that order, compact). `JSON.parse` of that
 * ~130-byte header cost as much as the payload's own parse (issue 16: the client's CPU per
 * message); one anchored regular expression, which the engine compiles to native code, reads the
 * same fields in about a third of the time (measured against a hand-written scanner too, which
 * was slower than the expression).
 *
 * Anything else is left to the general decoder, which decides, so the two agree by construction:
 * another key order or key set, whitespace, any escape (`\`) or control character in a string,
 * a number that is not plain decimal digits (a sign, a fraction, an exponent, a leading zero,
 * more than 15 digits: every integer of at most 15 digits is exact and safe), no line feed right
 * after the header. A differential property test (message-frame.test.ts) checks that whatever this
 * reads equals what the general decoder gives.
 *
 * Browser builds resolve `#message-frame` to message-frame.browser.ts (package.json `imports`) and
 * parse every header: the expression would cost a page ~260 bytes min+gzip.
 */
import type { MessageMsg } from './messages.js';

/** A JSON string's content without escapes or control characters: exactly what `JSON.parse` gives for it. */
const S = '([^"\\\\\\x00-\\x1f]*)';
/** A JSON number that is a plain decimal integer of at most 15 digits. */
const I = '(0|[1-9][0-9]{0,14})';
const MESSAGE_HEADER = new RegExp(
  `^\\{"type":"message","topic":"${S}","epoch":"${S}","offset":${I},"at":${I},"from":\\{"id":"${S}","name":"${S}"(?:,"user":"${S}")?\\}(?:,"replay":${I})?\\}\\n`,
);

/**
 * The `message` of `text` when its header is in the router's exact layout; `undefined` for
 * anything else, which the general decoder then decodes or refuses.
 */
export function readMessageFrame(text: string): MessageMsg | undefined {
  const match = MESSAGE_HEADER.exec(text);
  if (match === null) return undefined;
  const user = match[7];
  const replay = match[8];
  const topic = match[1]!;
  const epoch = match[2]!;
  const offset = +match[3]!;
  const at = +match[4]!;
  const from = user === undefined ? { id: match[5]!, name: match[6]! } : { id: match[5]!, name: match[6]!, user };
  const payload = text.slice(match[0].length);
  return replay === undefined
    ? { type: 'message', topic, epoch, offset, at, from, payload }
    : { type: 'message', topic, epoch, offset, at, from, replay: +replay, payload };
}
