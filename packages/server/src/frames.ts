/**
 * Frames the router builds: deliveries (one per publication and receiving codec, however many
 * subscribers), replays, presence events; and the transcoding between codecs they need.
 */
import { type Codec, ErrorCode, HeraldError, type MemberWire, type ServerMessage, transcode } from '@herald/protocol';
import type { PresenceEvent, PresenceMember, StampedPublication } from './engine.js';

export class Frames {
  readonly #codecs: ReadonlyMap<string, Codec>;

  constructor(codecs: readonly Codec[]) {
    this.#codecs = new Map(codecs.map((codec) => [codec.name, codec]));
  }

  codec(name: string): Codec | undefined {
    return this.#codecs.get(name);
  }

  /**
   * The `message` frame of a publication for receivers using `codec`: the header line, then the
   * publisher's payload bytes untouched (transcoded only when the codecs differ). `replay` marks a
   * message replayed for the subscribe request with that id. Throws when it cannot be transcoded.
   */
  message(publication: StampedPublication, codec: Codec, replay?: number): Uint8Array {
    const header = JSON.stringify({
      type: 'message',
      topic: publication.topic,
      epoch: publication.epoch,
      offset: publication.offset,
      at: publication.at,
      from: publication.from,
      ...(replay !== undefined && { replay }),
    });
    const payload =
      publication.codec === codec.name
        ? publication.payload
        : Buffer.from(this.transcode(bytesToText(publication.payload), publication.codec, codec));
    // One allocation: the header line, a line feed, the payload.
    const headerBytes = Buffer.byteLength(header);
    const frame = Buffer.allocUnsafe(headerBytes + 1 + payload.length);
    frame.write(header, 0);
    frame[headerBytes] = 10;
    frame.set(payload, headerBytes + 1);
    return frame;
  }

  presence(event: PresenceEvent, codec: Codec): ServerMessage {
    const member = this.member(event.member, codec);
    return event.type === 'join'
      ? { type: 'presence_join', topic: event.topic, member }
      : { type: 'presence_leave', topic: event.topic, member, reason: event.reason };
  }

  member(member: PresenceMember, codec: Codec): MemberWire {
    const wire: MemberWire = { id: member.id, name: member.name, connectedAt: member.connectedAt };
    if (member.user !== undefined) wire.user = member.user;
    const { connections } = member as { connections?: string[] };
    if (connections !== undefined) wire.connections = connections;
    if (member.info !== undefined && this.#codecs.has(member.info.codec)) {
      wire.info = this.transcode(member.info.text, member.info.codec, codec);
    }
    return wire;
  }

  /** Decodes a publication's payload for in-process subscribers (after the codec's checks). */
  decode(publication: StampedPublication): { ok: true; value: unknown } | { ok: false; message: string } {
    const codec = this.#codecs.get(publication.codec);
    if (codec === undefined) return { ok: false, message: `no codec named "${publication.codec}" on this router` };
    const result = codec.decode(bytesToText(publication.payload));
    return result.ok ? result : { ok: false, message: result.error.message };
  }

  transcode(text: string, from: string, to: Codec): string {
    const source = this.#codecs.get(from);
    if (source === undefined) throw new HeraldError(ErrorCode.CODEC_UNSUPPORTED, `no codec named "${from}" on this router`);
    return transcode(text, source, to);
  }
}

/** UTF-8 bytes to text without copying when they are already a Buffer. */
export function bytesToText(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
}
