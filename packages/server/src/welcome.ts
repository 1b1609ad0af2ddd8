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
    let text = `${HEAD}${JSON.stringify(fields.id)},"name":${JSON.stringify(fields.name)},"resume":${JSON.stringify(fields.resume)}`;
    if (fields.dedupeMs !== undefined) text += `,"dedupeMs":${JSON.stringify(fields.dedupeMs)}`;
    if (fields.user !== undefined) text += `,"user":${JSON.stringify(fields.user)}`;
    if (fields.expiresAt !== undefined) text += `,"expiresAt":${JSON.stringify(fields.expiresAt)}`;
    return text + this.#tail;
  }
}
