/**
 * The `welcome` frame (PROTOCOL.md §2), which every connect gets: its fixed part (the router, the
 * limits and heartbeat it announces) is serialised once per router, and each welcome only adds
 * the connection's own fields before it. The text is the one `encodeFrame()` gives for the same
 * message, field for field and in the same order (welcome.test.ts checks it).
 */
import type { PeerRef } from '@herald/protocol';

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

export class WelcomeFrames {
  /** `,"router":…}`: the fields after the connection's own, closing the object. */
  readonly #tail: string;

  constructor(settings: WelcomeSettings) {
    const { router, maxPayload, heartbeatMs, heartbeatTimeoutMs, errorStacks } = settings;
    const fixed = JSON.stringify({ router, maxPayload, heartbeatMs, heartbeatTimeoutMs, ...(errorStacks && { errorStacks: true }) });
    this.#tail = `,${fixed.slice(1)}`;
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

/** Characters a JSON string holds as they are: ids and resume tokens are made of these only. */
const PLAIN = /^[\w.-]*$/;

/**
 * `JSON.stringify(text)`: quoted as it is when nothing in it needs escaping (every id and token, most
 * names), which costs a regex test instead of a call into V8's C++ JSON serialiser (three per welcome,
 * about 1 µs of a connect).
 */
function jsonString(text: string): string {
  return PLAIN.test(text) ? `"${text}"` : JSON.stringify(text);
}

/** `JSON.stringify(value)` for a number: its shortest round-trip text, `null` when not finite (as JSON has it). */
function jsonNumber(value: number): string {
  return Number.isFinite(value) ? String(value) : 'null';
}
