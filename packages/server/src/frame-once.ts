/**
 * Frame once (issue 16): a delivery to N sockets of one codec builds its WebSocket frame (header
 * and payload bytes) once and writes the same buffers to every socket's net.Socket, instead of
 * N `socket.send()` calls that each frame the message again (as Socket.IO's adapter does for its
 * broadcasts). The sockets are corked by the caller as for any send, so a socket still gets one
 * write per tick.
 *
 * This relies on `ws` internals, checked here (and by test/frame-once.int.test.ts):
 * - `Sender.frame(data, { fin, opcode, mask, readOnly, rsv1 })`, exported by `ws` at run time,
 *   returning `[header, data]` for an unmasked frame; probed once at load with a known frame;
 * - a WebSocket's `_socket` (its net.Socket), `_sender` (idle: `_state` 0 and an empty `_queue`,
 *   so that nothing `ws` holds back could be overtaken) and `_extensions` (none negotiated: the
 *   router turns permessage-deflate off, and a compressed socket never takes a shared frame).
 * When any of this is missing or different, the delivery goes through `socket.send()` as before:
 * slower, never wrong. Bytes written this way count in `socket.bufferedAmount` (it reads the
 * net.Socket's write queue), so the slow-consumer bound still applies.
 */
import type { Duplex } from 'node:stream';
import type WebSocket from 'ws';
import * as ws from 'ws';

/** A delivery's bytes, and its WebSocket frame built once when `ws` allows it. */
export interface SharedFrame {
  /** The message bytes, for `socket.send()` when the frame cannot be shared. */
  readonly payload: Uint8Array;
  /** Header and payload buffers of one unmasked text frame; undefined when framing once is off. */
  readonly parts: readonly Buffer[] | undefined;
}

interface FrameOptions {
  fin: boolean;
  opcode: number;
  mask: boolean;
  readOnly: boolean;
  rsv1: boolean;
}

interface SenderStatic {
  frame(data: Buffer, options: FrameOptions): unknown;
}

/** The `ws` internals a socket must show to take a shared frame. */
interface WsInternals {
  _socket?: Duplex | null;
  _sender?: { _state?: unknown; _queue?: { length: number } } | null;
  _extensions?: Record<string, unknown> | null;
}

/** One final text frame, unmasked (server to client), not compressed; `data` is never copied. */
const TEXT_FRAME: FrameOptions = { fin: true, opcode: 1, mask: false, readOnly: true, rsv1: false };

/** ws's Sender class when its `frame` behaves as this module expects, else undefined. */
function probeSender(): SenderStatic | undefined {
  const module = ws as unknown as { Sender?: Partial<SenderStatic>; default?: { Sender?: Partial<SenderStatic> } };
  const sender = module.Sender ?? module.default?.Sender;
  if (sender === undefined || typeof sender.frame !== 'function') return undefined;
  const checked = sender as SenderStatic;
  try {
    const data = Buffer.from('hello');
    const parts = checked.frame(data, TEXT_FRAME);
    if (!Array.isArray(parts) || parts.length !== 2 || parts[1] !== data) return undefined;
    const header: unknown = parts[0];
    if (!Buffer.isBuffer(header) || header.length !== 2 || header[0] !== 0x81 || header[1] !== 5) return undefined;
    return checked;
  } catch {
    return undefined;
  }
}

const Sender = probeSender();

/** Whether this `ws` lets the router frame a delivery once (its `Sender.frame` passed the probe). */
export const frameOnceAvailable: boolean = Sender !== undefined;

/**
 * Frames up to this size are joined into one buffer (one copy per publish): each socket then
 * takes one write instead of two, which halves what Node's stream queues per delivery (a write
 * request each) and lets a lone frame go out with write() rather than writev(). Larger ones keep
 * header and payload apart, so a megabyte is never copied.
 */
export const JOIN_FRAME_BYTES = 16 * 1024;

/** The delivery `payload` with its frame built once (or not, when `ws` does not allow it). */
export function shareFrame(payload: Uint8Array): SharedFrame {
  if (Sender === undefined) return { payload, parts: undefined };
  const data = Buffer.isBuffer(payload) ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  const parts = Sender.frame(data, TEXT_FRAME) as Buffer[];
  if (data.length > JOIN_FRAME_BYTES) return { payload, parts };
  const header = parts[0]!;
  const joined = Buffer.allocUnsafe(header.length + data.length);
  header.copy(joined, 0);
  data.copy(joined, header.length);
  return { payload, parts: [joined] };
}

/**
 * The net.Socket a shared frame may be written to: `ws`'s internals are there, its sender holds
 * nothing back, and no extension (permessage-deflate) was negotiated. Undefined otherwise.
 */
export function frameTarget(socket: WebSocket): Duplex | undefined {
  const internals = socket as unknown as WsInternals;
  const raw = internals._socket;
  const sender = internals._sender;
  const extensions = internals._extensions;
  if (raw === undefined || raw === null || typeof raw.write !== 'function') return undefined;
  if (sender === undefined || sender === null || sender._state !== 0 || sender._queue?.length !== 0) return undefined;
  if (extensions === undefined || extensions === null) return undefined;
  for (const _ in extensions) return undefined;
  return raw;
}

/**
 * Writes a shared frame to the socket's net.Socket; false (nothing written) when the socket must
 * take it through `socket.send()` instead. No allocation per socket beyond Node's write requests.
 */
export function writeShared(socket: WebSocket, frame: SharedFrame): boolean {
  const parts = frame.parts;
  if (parts === undefined) return false;
  const raw = frameTarget(socket);
  if (raw === undefined) return false;
  for (let i = 0; i < parts.length; i++) raw.write(parts[i]);
  return true;
}

/**
 * One final, unmasked text frame of `text` (RFC 6455 §5.2: FIN and the text opcode, the payload
 * length in 7, 7+16 or 7+64 bits, then the UTF-8 bytes), header and payload in one buffer: for a
 * frame that goes to one socket only (the welcome), where `shareFrame` would take the text's bytes
 * and copy them again behind the header. Built here, not by `ws`: nothing of `ws` is relied on.
 */
export function textFrame(text: string): Buffer {
  const length = Buffer.byteLength(text);
  const headerLength = textFrameHeaderLength(length);
  const frame = Buffer.allocUnsafe(headerLength + length);
  writeTextFrameHeader(frame, length);
  frame.write(text, headerLength, 'utf8');
  return frame;
}

/** The length of a final, unmasked text frame's header for `length` bytes of payload (2, 4 or 10). */
export function textFrameHeaderLength(length: number): number {
  return length < 126 ? 2 : length < 65_536 ? 4 : 10;
}

/** Writes the header of a final, unmasked text frame of `length` bytes at the start of `frame`. */
export function writeTextFrameHeader(frame: Buffer, length: number): void {
  frame[0] = 0x81;
  if (length < 126) frame[1] = length;
  else if (length < 65_536) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
    frame.writeUInt32BE(length >>> 0, 6);
  }
}

/**
 * Writes a whole frame built here (`textFrame()`, the welcome's `frameBytes()`) to the socket's
 * net.Socket, under the same conditions as {@link writeShared}; false (nothing written) when it
 * must go through `socket.send()` with {@link textFramePayload} instead.
 */
export function writeFrame(socket: WebSocket, frame: Buffer): boolean {
  const raw = frameTarget(socket);
  if (raw === undefined) return false;
  raw.write(frame);
  return true;
}

/** The payload of a frame built by `textFrame()` (its bytes after the header), for `socket.send()`. */
export function textFramePayload(frame: Buffer): Buffer {
  const length = frame[1]! & 127;
  return frame.subarray(length < 126 ? 2 : length === 126 ? 4 : 10);
}
