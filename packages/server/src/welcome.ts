/**
 * The `welcome` frame (PROTOCOL.md §2), which every connect gets: its fixed part (the router, the
 * limits and heartbeat it announces) is serialised once per router, and each welcome only adds
 * the connection's own fields before it. The text is the one `encodeFrame()` gives for the same
 * message, field for field and in the same order (welcome.test.ts checks it).
 */
import type { PeerRef } from '@herald/protocol';
import { textFrame, textFrameHeaderLength, writeTextFrameHeader } from './frame-once.js';

/** What a router announces in every welcome. */
export interface WelcomeSettings {
  router: PeerRef;
  maxPayload: number;
  heartbeatMs: number;
  heartbeatTimeoutMs: number;
  errorStacks: boolean;
}

/** One connection's fields of its welcome. */
export interface WelcomeFields {
  id: string;
  name: string;
  resume: string;
  dedupeMs?: number | undefined;
  user?: string | undefined;
  expiresAt?: number | undefined;
}

const HEAD = '{"type":"welcome","version":1,"id":';
const NAME = ',"name":';
const RESUME = ',"resume":';
const DEDUPE = ',"dedupeMs":';
const USER = ',"user":';
const EXPIRES = ',"expiresAt":';

export class WelcomeFrames {
  /** `,"router":…}`: the fields after the connection's own, closing the object. */
  readonly #tail: string;
  /** The same as UTF-8 bytes, copied behind each welcome's own fields by {@link frameBytes}. */
  readonly #tailBytes: Buffer;

  constructor(settings: WelcomeSettings) {
    const { router, maxPayload, heartbeatMs, heartbeatTimeoutMs, errorStacks } = settings;
    const fixed = JSON.stringify({ router, maxPayload, heartbeatMs, heartbeatTimeoutMs, ...(errorStacks && { errorStacks: true }) });
    this.#tail = `,${fixed.slice(1)}`;
    this.#tailBytes = Buffer.from(this.#tail, 'utf8');
  }

  /**
   * The welcome for one connection as a whole WebSocket text frame (the header of `textFrame()`
   * in frame-once.ts, then the UTF-8 of {@link frame}'s text), written straight into its buffer:
   * no text is built for it. The id and the token need no escaping (the router makes them of
   * `[A-Za-z0-9_.-]`): they are written by Buffer's UTF-8 writer and checked as written (one that
   * needs escaping after all takes the text's path). A name other than the id, and a user, may
   * need it: those go through `JSON.stringify` when they do.
   */
  frameBytes(fields: WelcomeFields): Buffer {
    const { id, name, resume, dedupeMs, user, expiresAt } = fields;
    // Undefined when written as they are, quoted; else their JSON text.
    const nameJson = name === id ? undefined : escaped(name);
    const userJson = user === undefined ? undefined : escaped(user);
    const dedupeText = dedupeMs === undefined ? undefined : jsonNumber(dedupeMs);
    const expiresText = expiresAt === undefined ? undefined : jsonNumber(expiresAt);
    let length =
      HEAD.length + id.length + 2 + NAME.length + stringBytes(name, nameJson) + RESUME.length + resume.length + 2 + this.#tailBytes.length;
    if (dedupeText !== undefined) length += DEDUPE.length + dedupeText.length;
    if (user !== undefined) length += USER.length + stringBytes(user, userJson);
    if (expiresText !== undefined) length += EXPIRES.length + expiresText.length;
    const headerLength = textFrameHeaderLength(length);
    const frame = Buffer.allocUnsafe(headerLength + length);
    writeTextFrameHeader(frame, length);
    let at = putPlain(frame, putAscii(frame, headerLength, HEAD), id);
    if (at < 0) return textFrame(this.frame(fields));
    at = putAscii(frame, at, NAME);
    // The id is plain by now: a name that is the id is too.
    at = name === id ? putPlain(frame, at, id) : putString(frame, at, name, nameJson);
    at = putPlain(frame, putAscii(frame, at, RESUME), resume);
    if (at < 0) return textFrame(this.frame(fields));
    if (dedupeText !== undefined) at = putAscii(frame, putAscii(frame, at, DEDUPE), dedupeText);
    if (user !== undefined) at = putString(frame, putAscii(frame, at, USER), user, userJson);
    if (expiresText !== undefined) at = putAscii(frame, putAscii(frame, at, EXPIRES), expiresText);
    frame.set(this.#tailBytes, at);
    return frame;
  }

  /** The welcome frame's text for one connection. */
  frame(fields: WelcomeFields): string {
    const id = jsonString(fields.id);
    // The name is the id unless the hello named the client.
    let text = `${HEAD}${id},"name":${fields.name === fields.id ? id : jsonString(fields.name)},"resume":${jsonString(fields.resume)}`;
    if (fields.dedupeMs !== undefined) text += `,"dedupeMs":${jsonNumber(fields.dedupeMs)}`;
    if (fields.user !== undefined) text += `,"user":${jsonString(fields.user)}`;
    if (fields.expiresAt !== undefined) text += `,"expiresAt":${jsonNumber(fields.expiresAt)}`;
    return text + this.#tail;
  }
}

/** By byte (or character below 256): 1 for those JSON holds as they are in a string, [A-Za-z0-9_.-]. */
const PLAIN = new Uint8Array(256);
for (const c of '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_.-') PLAIN[c.charCodeAt(0)] = 1;

/**
 * Whether JSON holds `text` as it is, quoted: only `[A-Za-z0-9_.-]` (every id and resume token,
 * most names). A loop over the characters: a regex test went through V8's runtime here, about as
 * much as the rest of the welcome's framing in a profile of connects.
 */
function isPlain(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 255 || PLAIN[c] === 0) return false;
  }
  return true;
}

/**
 * Writes `text` quoted at `at` when it is plain; returns the offset after it, or -1 when it is not
 * (the frame is then not finished). Buffer writes the UTF-8 (a token is a concatenation, which a
 * loop over its characters would read through V8's runtime) and the bytes are checked as written:
 * a character outside ASCII writes a byte of 0x80 or more, or fewer bytes than characters.
 */
function putPlain(frame: Buffer, at: number, text: string): number {
  frame[at] = 0x22; // "
  const start = at + 1;
  const written = text.length === 0 ? 0 : frame.write(text, start, text.length, 'utf8');
  if (written !== text.length) return -1;
  const end = start + written;
  for (let i = start; i < end; i++) if (PLAIN[frame[i]!] !== 1) return -1;
  frame[end] = 0x22;
  return end + 1;
}

/**
 * `JSON.stringify(text)`: quoted as it is when nothing in it needs escaping (every id and token, most
 * names), which costs a character loop instead of a call into V8's C++ JSON serialiser.
 */
function jsonString(text: string): string {
  return isPlain(text) ? `"${text}"` : JSON.stringify(text);
}

/** Undefined when `text` needs no escaping (it is written quoted as it is), else its JSON text. */
function escaped(text: string): string | undefined {
  return isPlain(text) ? undefined : JSON.stringify(text);
}

/** The UTF-8 length of a string field as JSON: `json` when it needed escaping, else `text` quoted (ASCII). */
function stringBytes(text: string, json: string | undefined): number {
  return json === undefined ? text.length + 2 : Buffer.byteLength(json, 'utf8');
}

/** Writes a string field as JSON at `at` (see {@link stringBytes}); returns the offset after it. */
function putString(frame: Buffer, at: number, text: string, json: string | undefined): number {
  if (json !== undefined) return at + frame.write(json, at, 'utf8');
  frame[at] = 0x22; // "
  at = putAscii(frame, at + 1, text);
  frame[at] = 0x22;
  return at + 1;
}

/** Writes ASCII `text` a character a byte at `at`; returns the offset after it. */
function putAscii(frame: Buffer, at: number, text: string): number {
  for (let i = 0; i < text.length; i++) frame[at + i] = text.charCodeAt(i);
  return at + text.length;
}

/** `JSON.stringify(value)` for a number: its shortest round-trip text, `null` when not finite (as JSON has it). */
function jsonNumber(value: number): string {
  return Number.isFinite(value) ? String(value) : 'null';
}
