/**
 * Short error messages, as production browser builds have them (`VERBOSE_ERRORS` false, see
 * verbose-errors.ts): every error keeps its code and class, its message is the code and a short
 * subject, and the frame and topic tests pass unchanged (they match on codes).
 */
import { describe, expect, it, vi } from 'vitest';
import { ConnectionError, ErrorCode, HeraldError, RemoteError, VERBOSE_ERRORS } from './errors.js';
import { decodeServerFrame } from './frame.js';
import { methodProblem, patternProblem, topicProblem } from './topic.js';

vi.mock('#verbose-errors', () => ({ VERBOSE_ERRORS: false }));

describe('without VERBOSE_ERRORS', () => {
  it('an error message is its code and subject', () => {
    expect(VERBOSE_ERRORS).toBe(false);
    expect(new HeraldError(ErrorCode.NO_HANDLER, 'math.add').message).toBe('NO_HANDLER math.add');
    const closed = new ConnectionError(ErrorCode.CONNECTION_CLOSED, '');
    expect([closed.message, closed.code, closed.name]).toEqual(['CONNECTION_CLOSED', 'CONNECTION_CLOSED', 'ConnectionError']);
  });

  it("a RemoteError keeps the handler's message as it wrote it", () => {
    const remote = new RemoteError('UNKNOWN_PLACE', 'no forecast for Mars', { data: { place: 'Mars' } });
    expect([remote.code, remote.message, remote.data]).toEqual(['UNKNOWN_PLACE', 'no forecast for Mars', { place: 'Mars' }]);
  });

  it('a problem is still a string (empty), and no problem is still undefined', () => {
    expect(topicProblem('a..b')).toBe('');
    expect(patternProblem('a.>.b')).toBe('');
    expect(methodProblem(7)).toBe('');
    expect(topicProblem('a.b')).toBeUndefined();
    expect(patternProblem('a.*')).toBeUndefined();
  });

  it('frame errors keep their codes and name the message type and field', () => {
    const missing = decodeServerFrame('{"type":"pong"}');
    expect(missing.ok).toBe(false);
    if (!missing.ok) expect([missing.error.code, missing.error.message]).toEqual([ErrorCode.PROTOCOL_INVALID_MESSAGE, 'PROTOCOL_INVALID_MESSAGE pong.id']);
    const unknown = decodeServerFrame('{"type":"nope"}');
    if (!unknown.ok) expect(unknown.error.code).toBe(ErrorCode.PROTOCOL_UNKNOWN_TYPE);
    expect(unknown.ok).toBe(false);
  });
});

// The frame and topic tests, with short messages.
await import('./frame.test.js');
await import('./topic.test.js');
