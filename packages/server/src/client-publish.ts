/**
 * A client's `publish`: topic, pid, permission, payload and contract checks, then the hand-over
 * to the engine (`Hub.publish`) and the `publish_ack`.
 */
import { ErrorCode, type HeraldError, topicProblem } from '@herald/protocol';
import { internalError, protocolError } from './client-errors.js';
import type { Connection } from './connection.js';
import { bytesToText } from './frames.js';
import type { Hub } from './hub.js';
import { pidProblem } from './resume.js';

/** `publish` from a client. */
export function onPublish(hub: Hub, connection: Connection, topic: string, payload: Uint8Array, id: number | undefined, pid: string | undefined): void {
  const problem = topicProblem(topic);
  if (problem !== undefined) return protocolError(hub, connection, ErrorCode.TOPIC_INVALID, problem, id);
  const badPid = pidProblem(pid);
  if (badPid !== undefined) return protocolError(hub, connection, ErrorCode.PROTOCOL_INVALID_MESSAGE, badPid, id);
  if (!hub.access.allowed(connection, 'publish', topic, id)) return;
  const text = hub.options.validatePayloads || hub.options.contract !== undefined ? bytesToText(payload) : '';
  if (hub.options.validatePayloads) {
    const invalid = connection.codec.check(text);
    if (invalid !== undefined) return protocolError(hub, connection, invalid.code, invalid.message, id);
  }
  const refuse = (error: HeraldError): void => connection.sendError(error.code, error.message, id);
  hub.contracts.publish(connection, topic, text, () => acceptPublish(hub, connection, topic, payload, id, pid), refuse);
}

function acceptPublish(hub: Hub, connection: Connection, topic: string, payload: Uint8Array, id: number | undefined, pid: string | undefined): void {
  if (connection.state === 'closed') return;
  const from = connection.peer();
  // Scoped by the session's id (which only its resume token can claim): a client cannot collide
  // with, or learn, the publishes of another.
  const publication = { topic, codec: connection.codec.name, payload, from, at: Date.now(), ...(pid !== undefined && { pid: `${connection.id}:${pid}` }) };
  hub.publish(publication).then(
    (stamp) => {
      if (id !== undefined) connection.sendMessage({ type: 'publish_ack', id, topic, epoch: stamp.epoch, offset: stamp.offset });
    },
    (cause: unknown) => internalError(hub, connection, 'publish', cause, id),
  );
}
