/**
 * Which code closes a connection whose first frame the decoder refused. A `hello` whose fields
 * have the wrong type (an `info` sent as a JSON object instead of codec-encoded text, a numeric
 * `name`) is a bad hello: `HELLO_INVALID`, as PROTOCOL.md's refusal table says (issue 11), not the
 * generic `PROTOCOL_INVALID_MESSAGE`. Any other refused first frame keeps its own code.
 */
import { ErrorCode, type ProtocolError } from '@herald/protocol';

/** The close reason's code for a refused first frame. */
export function firstFrameRefusalCode(data: Buffer, error: ProtocolError): string {
  if (error.code !== ErrorCode.PROTOCOL_INVALID_MESSAGE) return error.code;
  return headerType(data) === 'hello' ? ErrorCode.HELLO_INVALID : error.code;
}

/** The `type` of a frame's header, when the header is a JSON object with a string `type`. */
function headerType(data: Buffer): string | undefined {
  const lf = data.indexOf(10);
  try {
    const header: unknown = JSON.parse(data.toString('utf8', 0, lf === -1 ? data.length : lf));
    const type = (header as { type?: unknown } | null)?.type;
    return typeof type === 'string' ? type : undefined;
  } catch {
    return undefined;
  }
}
