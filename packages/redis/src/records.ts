/**
 * How a publication is stored in a stream entry and carried on a channel. The record is built once
 * by the publishing node and stored and forwarded byte for byte:
 *
 *   record  = header-json LF payload            header-json = {"c":codec,"f":{id,name},"a":at}
 *   channel = epoch LF offset LF record         (the publish script prepends the stamp)
 *
 * Epochs are base64url and offsets digits, so neither holds a LF; the payload comes last and is
 * never parsed here.
 */
import type { PeerRef } from '@herald/protocol';
import type { Publication, StampedPublication } from '@herald/server';

const LF = 0x0a;

interface Header {
  c: string;
  f: PeerRef;
  a: number;
}

export function encodeRecord(publication: Publication): Buffer {
  const header: Header = { c: publication.codec, f: publication.from, a: publication.at };
  const payload = publication.payload;
  return Buffer.concat([
    Buffer.from(`${JSON.stringify(header)}\n`),
    Buffer.isBuffer(payload) ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength),
  ]);
}

/** A stored record back to a publication; undefined when it is not one (a foreign key). */
export function decodeRecord(topic: string, epoch: string, offset: number, record: Buffer): StampedPublication | undefined {
  const lf = record.indexOf(LF);
  if (lf === -1) return undefined;
  let header: Header;
  try {
    header = JSON.parse(record.toString('utf8', 0, lf)) as Header;
  } catch {
    return undefined;
  }
  return { topic, codec: header.c, payload: record.subarray(lf + 1), from: header.f, at: header.a, epoch, offset };
}

/** A channel message (`epoch LF offset LF record`) back to a publication. */
export function decodeChannelMessage(topic: string, message: Buffer): StampedPublication | undefined {
  const first = message.indexOf(LF);
  const second = first === -1 ? -1 : message.indexOf(LF, first + 1);
  if (second === -1) return undefined;
  const epoch = message.toString('latin1', 0, first);
  const offset = Number(message.toString('latin1', first + 1, second));
  if (!Number.isSafeInteger(offset)) return undefined;
  return decodeRecord(topic, epoch, offset, message.subarray(second + 1));
}
