/**
 * Node's `Buffer` where there is one (Node, Deno and Bun have it): base64.ts uses it, several times
 * faster than `btoa`/`atob` on large payloads. Browser builds resolve `#node-buffer` to
 * node-buffer.browser.ts (package.json `imports`), so a page carries no Buffer code.
 */

/** The part of Node's `Buffer` that base64.ts (and hello-subprotocol.ts) use. */
export interface BufferClass {
  from(buffer: ArrayBufferLike, byteOffset: number, length: number): { toString(encoding: 'base64'): string };
  from(text: string, encoding: 'base64' | 'base64url'): Uint8Array;
  from(text: string, encoding: 'utf8'): { toString(encoding: 'base64url'): string };
}

export const NodeBuffer = (globalThis as { Buffer?: BufferClass }).Buffer;
