/**
 * The fast path of {@link decodeServerFrame} for the frame a client receives most: a `message` whose
 * header is laid out exactly as Herald's router writes it (`JSON.stringify` of `type, topic, epoch,
 * offset, at, from {id, name, user?}, replay?`, in that order, compact). `JSON.parse` of that
 * ~130-byte header cost as much as the payload's own parse (issue 16: the client's CPU per
 * message). Here one anchored regular expression without captures, which the engine compiles to
 * native code, checks the layout, and `indexOf` finds each field between its delimiters: a fifth
 * of the time (a hand-written charCodeAt scanner was slower than `JSON.parse` on this machine; the
 * expression with a capture per field took twice as long as this).
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
const S = '[^"\\\\\\x00-\\x1f]*';
/** A JSON number that is a plain decimal integer of at most 15 digits. */
const I = '(?:0|[1-9][0-9]{0,14})';
/**
 * The layout, checked without captures (captures cost more than the check): once it holds, every
 * field sits between delimiters that `indexOf` finds.
 */
const MESSAGE_HEADER = new RegExp(
  `^\\{"type":"message","topic":"${S}","epoch":"${S}","offset":${I},"at":${I},"from":\\{"id":"${S}","name":"${S}"(?:,"user":"${S}")?\\}(?:,"replay":${I})?\\}\\n`,
);

const TOPIC_AT = '{"type":"message","topic":"'.length;
/** From a string's closing quote to the next value: `","epoch":"`, `","offset":`. */
const NEXT_FIELD = 11;
const AT_FIELD = ',"at":'.length;
const ID_FIELD = ',"from":{"id":"'.length;
/** `","name":"` and `","user":"`. */
const PEER_FIELD = 10;
const REPLAY_FIELD = ',"replay":'.length;
const COMMA = 44;

/** The value of the decimal digits `text[start, end)` (at most 15 of them: exact). */
function integer(text: string, start: number, end: number): number {
  let value = 0;
  for (let i = start; i < end; i++) value = value * 10 + text.charCodeAt(i) - 48;
  return value;
}

/**
 * The `message` of `text` when its header is in the router's exact layout; `undefined` for
 * anything else, which the general decoder then decodes or refuses.
 */
export function readMessageFrame(text: string): MessageMsg | undefined {
  if (!MESSAGE_HEADER.test(text)) return undefined;
  let start = TOPIC_AT;
  let end = text.indexOf('"', start);
  const topic = text.slice(start, end);
  start = end + NEXT_FIELD;
  end = text.indexOf('"', start);
  const epoch = text.slice(start, end);
  start = end + NEXT_FIELD;
  end = text.indexOf(',', start);
  const offset = integer(text, start, end);
  start = end + AT_FIELD;
  end = text.indexOf(',', start);
  const at = integer(text, start, end);
  start = end + ID_FIELD;
  end = text.indexOf('"', start);
  const id = text.slice(start, end);
  start = end + PEER_FIELD;
  end = text.indexOf('"', start);
  const name = text.slice(start, end);
  let from: MessageMsg['from'];
  if (text.charCodeAt(end + 1) === COMMA) {
    start = end + PEER_FIELD;
    end = text.indexOf('"', start);
    from = { id, name, user: text.slice(start, end) };
  } else {
    from = { id, name };
  }
  // After `"}`: the header's `}`, or `,"replay":n}`; then the line feed.
  end += 2;
  if (text.charCodeAt(end) !== COMMA) return { type: 'message', topic, epoch, offset, at, from, payload: text.slice(end + 2) };
  start = end + REPLAY_FIELD;
  end = text.indexOf('}', start);
  return { type: 'message', topic, epoch, offset, at, from, replay: integer(text, start, end), payload: text.slice(end + 2) };
}
