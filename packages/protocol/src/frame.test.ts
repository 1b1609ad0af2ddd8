import fc from 'fast-check';
import { assert, describe, expect, it } from 'vitest';
import { ErrorCode, ProtocolError } from './errors.js';
import {
  CLIENT_MESSAGE_SPECS,
  SERVER_MESSAGE_SPECS,
  decodeClientFrame,
  decodeServerFrame,
  decodeServerText,
  encodeFrame,
  encodeTextFrame,
} from './frame.js';
import type { AnyMessage, ClientMessage, MemberWire, RawPayload, ServerMessage } from './messages.js';
import type { Result } from './result.js';

const utf8 = new TextEncoder();
const text = new TextDecoder();
const bytes = (s: string): Uint8Array => utf8.encode(s);

type Decoder = (input: RawPayload) => Result<AnyMessage, ProtocolError>;
const DECODERS: ReadonlyArray<[name: string, decode: Decoder, specs: object]> = [
  ['decodeClientFrame', decodeClientFrame, CLIENT_MESSAGE_SPECS],
  ['decodeServerFrame', decodeServerFrame, SERVER_MESSAGE_SPECS],
];
const DECODE_CODES: readonly string[] = [
  ErrorCode.PROTOCOL_INVALID_FRAME,
  ErrorCode.PROTOCOL_UNKNOWN_TYPE,
  ErrorCode.PROTOCOL_INVALID_MESSAGE,
];

function expectFailure(result: Result<AnyMessage, ProtocolError>, code: string, id?: number): void {
  assert(!result.ok, `expected ${code}, decoded ${JSON.stringify(result.ok && result.value)}`);
  expect(result.error).toBeInstanceOf(ProtocolError);
  expect(result.error.code).toBe(code);
  expect(result.error.id).toBe(id);
}

function decodedValue(result: Result<AnyMessage, ProtocolError>): AnyMessage {
  assert(result.ok, `expected a message, got ${result.ok || result.error.code}`);
  return result.value;
}

/** The message with its payload, if it is bytes, as text. */
function withTextPayload(message: AnyMessage): AnyMessage {
  if (!('payload' in message) || !(message.payload instanceof Uint8Array)) return message;
  return { ...message, payload: text.decode(message.payload) };
}

const BINARY = new Uint8Array([0, 10, 13, 255, 10, 0x7b]); // contains LF and bytes that are not UTF-8
const alice: MemberWire = { id: 'c1', name: 'Alice', connectedAt: 1_700_000_000_000 };
const bob: MemberWire = { id: 'c2', name: 'Bob', info: '{"json":{"role":"admin"}}', connectedAt: 1_700_000_000_001 };

const CLIENT_SAMPLES: readonly ClientMessage[] = [
  { type: 'hello' },
  { type: 'hello', name: 'Kirk', info: '{"json":{"rank":"captain"}}', token: 't0k', resume: 'r1' },
  { type: 'subscribe', id: 1, pattern: 'sensors.*.temp' },
  { type: 'subscribe', id: 13, pattern: 'a.>', rewind: 5 },
  { type: 'subscribe', id: 14, pattern: 'a.>', positions: [['a.b', 'e1', 42], ['a.c', 'e2', 0]], since: 1_700_000_000_000 },
  { type: 'unsubscribe', id: 2, pattern: 'chat.>' },
  { type: 'publish', id: 3, topic: 'chat.room', payload: '{"json":"hi"}' },
  { type: 'publish', topic: 'chat.room', payload: 'fire and forget\nwith a second line' },
  { type: 'publish', id: 4, topic: 'chat.room', payload: '' },
  { type: 'publish', id: 5, topic: 'bin', payload: BINARY },
  { type: 'presence_watch', id: 6, topic: 'room.1' },
  { type: 'presence_unwatch', id: 7, topic: 'room.1' },
  { type: 'ping', id: 0 },
  { type: 'ping', id: Number.MAX_SAFE_INTEGER },
  { type: 'handle', id: 8, method: 'math.add' },
  { type: 'unhandle', id: 9, method: 'math.add' },
  { type: 'request', id: 10, method: 'math.add', timeout: 5000, payload: '{"json":[1,2]}' },
  { type: 'request', id: 11, method: 'math.add', payload: BINARY },
  { type: 'cancel', id: 10 },
  { type: 'response', id: 311, payload: '{"json":3}' },
  { type: 'response_error', id: 312, code: 'OUT_OF_RANGE', message: 'too big', data: '{"json":{"max":9}}', stack: 'Error: too big' },
  { type: 'response_error', id: 313, code: 'HANDLER_ERROR', message: 'x' },
  { type: 'list_methods', id: 12 },
  { type: 'refresh', id: 14, token: 'eyJ.x.y' },
  { type: 'presence_watch', id: 15, topic: 'room.1', by: 'user' },
  { type: 'presence_watch', id: 16, topic: 'room.*', by: 'connection', count: true },
];

const SERVER_SAMPLES: readonly ServerMessage[] = [
  { type: 'welcome', version: 1, id: 'c1', name: 'Kirk', router: { id: 'r1', name: 'router-1' }, maxPayload: 1_048_576, heartbeatMs: 10_000, heartbeatTimeoutMs: 30_000 },
  { type: 'subscribed', id: 1, pattern: 'sensors.*.temp', at: 1_700_000_000_000 },
  { type: 'subscribed', id: 1, pattern: 'a.>', at: 1, recovered: false, reason: 'history_evicted', gaps: ['a.b', 'a.c'] },
  { type: 'unsubscribed', id: 2, pattern: 'chat.>' },
  { type: 'publish_ack', id: 3, topic: 'chat.room', epoch: 'e-1', offset: 0 },
  { type: 'message', topic: 'chat.room', epoch: 'e-1', offset: 42, at: 1_700_000_000_000.5, from: { id: 'c1', name: 'Kirk' }, payload: '{"json":"hi"}\n' },
  { type: 'message', topic: 'bin', epoch: 'e-1', offset: 43, at: 0, from: { id: 'c1', name: '' }, payload: BINARY },
  { type: 'message', topic: 'a.b', epoch: 'e-1', offset: 44, at: 0, from: { id: 'c1', name: '' }, replay: 14, payload: '{"json":1}' },
  { type: 'presence_state', id: 4, topic: 'room.1', members: [alice, bob] },
  { type: 'presence_state', id: 5, topic: 'room.2', members: [] },
  { type: 'presence_join', topic: 'room.1', member: bob },
  { type: 'presence_leave', topic: 'room.1', member: alice, reason: 'dropped' },
  { type: 'presence_unwatched', id: 6, topic: 'room.1' },
  { type: 'presence_state', id: 9, topic: 'room.1', members: [], count: 2100 },
  { type: 'presence_count', topic: 'room.1', count: 0 },
  { type: 'pong', id: 7 },
  { type: 'error', id: 8, code: 'TOPIC_INVALID', message: 'bad topic' },
  { type: 'error', code: 'PROTOCOL_INVALID_FRAME', message: 'no id' },
  { type: 'welcome', version: 1, id: 'c1', name: 'Kirk', router: { id: 'r1', name: 'router-1' }, maxPayload: 1, heartbeatMs: 0, heartbeatTimeoutMs: 0, errorStacks: true },
  { type: 'handled', id: 8, method: 'math.add' },
  { type: 'unhandled', id: 9, method: 'math.add' },
  { type: 'request', id: 311, method: 'math.add', caller: { id: 'c1', name: 'Kirk', info: '{"json":1}' }, timeout: 5000, payload: '{"json":[1,2]}' },
  { type: 'request', id: 312, method: 'math.add', caller: { id: 'c1', name: 'Kirk' }, timeout: 0, payload: BINARY },
  { type: 'cancel', id: 311, reason: 'timeout' },
  { type: 'response', id: 10, payload: '{"json":3}' },
  { type: 'response_error', id: 10, code: 'OUT_OF_RANGE', message: 'too big', data: '{"json":{"max":9}}' },
  { type: 'methods', id: 12, methods: [{ method: 'math.add', providers: [{ id: 'c1', name: 'Kirk' }] }] },
  { type: 'methods', id: 13, methods: [] },
  { type: 'refreshed', id: 14, expiresAt: 1_795_345_100_000 },
  { type: 'refreshed', id: 15 },
  { type: 'revoked', operation: 'subscribe', subject: 'sensors.>', reason: 'permission_revoked' },
  { type: 'error', id: 16, code: 'PERMISSION_DENIED', message: 'no', operation: 'publish', subject: 'a.b' },
  { type: 'welcome', version: 1, id: 'c1', name: 'Kirk', user: 'kirk', expiresAt: 1_795_345_100_000, router: { id: 'r1', name: 'router-1' }, maxPayload: 1, heartbeatMs: 0, heartbeatTimeoutMs: 0 },
];

describe('encodeFrame → decode round trip', () => {
  it('has a sample of every client and every server message type', () => {
    expect(new Set(CLIENT_SAMPLES.map((m) => m.type))).toStrictEqual(new Set(Object.keys(CLIENT_MESSAGE_SPECS)));
    expect(new Set(SERVER_SAMPLES.map((m) => m.type))).toStrictEqual(new Set(Object.keys(SERVER_MESSAGE_SPECS)));
  });

  const cases: ReadonlyArray<[label: string, message: AnyMessage, decode: Decoder]> = [
    ...CLIENT_SAMPLES.map((m, i): [string, AnyMessage, Decoder] => [`client #${i} ${m.type}`, m, decodeClientFrame]),
    ...SERVER_SAMPLES.map((m, i): [string, AnyMessage, Decoder] => [`server #${i} ${m.type}`, m, decodeServerFrame]),
  ];

  it.each(cases)('%s', (_label, message, decode) => {
    const frame = encodeFrame(message);
    const binaryPayload = 'payload' in message && message.payload instanceof Uint8Array;
    expect(typeof frame).toBe(binaryPayload ? 'object' : 'string');
    const decoded = decodedValue(decode(frame));
    expect(decoded).toStrictEqual(message);
    if ('payload' in decoded) {
      expect(Object.getPrototypeOf(decoded.payload)).toBe(binaryPayload ? Uint8Array.prototype : String.prototype);
    }
    // The same frame received as UTF-8 bytes: the payload arrives as bytes with the same content.
    const asBytes = typeof frame === 'string' ? bytes(frame) : frame;
    const fromBytes = decodedValue(decode(asBytes));
    if ('payload' in fromBytes) expect(fromBytes.payload).toBeInstanceOf(Uint8Array);
    if (binaryPayload) expect(fromBytes).toStrictEqual(message);
    else expect(withTextPayload(fromBytes)).toStrictEqual(message);
  });
});

describe('bad frames', () => {
  const CLIENT_BAD: ReadonlyArray<[label: string, input: RawPayload, code: string, id?: number]> = [
    ['not JSON', 'hello', ErrorCode.PROTOCOL_INVALID_FRAME],
    ['empty frame', '', ErrorCode.PROTOCOL_INVALID_FRAME],
    ['empty header before a payload', '\n{"json":1}', ErrorCode.PROTOCOL_INVALID_FRAME],
    ['truncated JSON', '{"type":"ping","id":1', ErrorCode.PROTOCOL_INVALID_FRAME],
    ['header split over two lines', '{"type":\n"ping","id":1}', ErrorCode.PROTOCOL_INVALID_FRAME],
    ['JSON array header', '[{"type":"ping","id":1}]', ErrorCode.PROTOCOL_INVALID_FRAME],
    ['JSON number header', '42', ErrorCode.PROTOCOL_INVALID_FRAME],
    ['JSON null header', 'null', ErrorCode.PROTOCOL_INVALID_FRAME],
    ['JSON string header', '"ping"', ErrorCode.PROTOCOL_INVALID_FRAME],
    ['JSON boolean header', 'true', ErrorCode.PROTOCOL_INVALID_FRAME],
    ['missing type', '{"id":1}', ErrorCode.PROTOCOL_INVALID_FRAME],
    ['numeric type', '{"type":1,"id":1}', ErrorCode.PROTOCOL_INVALID_FRAME],
    ['null type', '{"type":null,"id":1}', ErrorCode.PROTOCOL_INVALID_FRAME],
    ['type only in a __proto__ key', '{"__proto__":{"type":"ping"},"id":1}', ErrorCode.PROTOCOL_INVALID_FRAME],
    ['unknown type', '{"type":"nope","id":1}', ErrorCode.PROTOCOL_UNKNOWN_TYPE, 1],
    ['unknown type without id', '{"type":"nope"}', ErrorCode.PROTOCOL_UNKNOWN_TYPE],
    ['empty type', '{"type":""}', ErrorCode.PROTOCOL_UNKNOWN_TYPE],
    ['type __proto__', '{"type":"__proto__","id":2}', ErrorCode.PROTOCOL_UNKNOWN_TYPE, 2],
    ['type constructor', '{"type":"constructor"}', ErrorCode.PROTOCOL_UNKNOWN_TYPE],
    ['type toString', '{"type":"toString"}', ErrorCode.PROTOCOL_UNKNOWN_TYPE],
    ['type hasOwnProperty', '{"type":"hasOwnProperty"}', ErrorCode.PROTOCOL_UNKNOWN_TYPE],
    ['type with different case', '{"type":"PING","id":1}', ErrorCode.PROTOCOL_UNKNOWN_TYPE, 1],
    ['a server type', '{"type":"pong","id":3}', ErrorCode.PROTOCOL_UNKNOWN_TYPE, 3],
    ['id as string', '{"type":"ping","id":"1"}', ErrorCode.PROTOCOL_INVALID_MESSAGE],
    ['negative id', '{"type":"ping","id":-1}', ErrorCode.PROTOCOL_INVALID_MESSAGE],
    ['float id', '{"type":"ping","id":1.5}', ErrorCode.PROTOCOL_INVALID_MESSAGE],
    ['id overflowing to Infinity', '{"type":"ping","id":1e400}', ErrorCode.PROTOCOL_INVALID_MESSAGE],
    ['unsafe integer id', '{"type":"ping","id":9007199254740992}', ErrorCode.PROTOCOL_INVALID_MESSAGE],
    ['null id', '{"type":"ping","id":null}', ErrorCode.PROTOCOL_INVALID_MESSAGE],
    ['missing id', '{"type":"ping"}', ErrorCode.PROTOCOL_INVALID_MESSAGE],
    ['pattern as number', '{"type":"subscribe","id":7,"pattern":1}', ErrorCode.PROTOCOL_INVALID_MESSAGE, 7],
    ['missing pattern', '{"type":"unsubscribe","id":7}', ErrorCode.PROTOCOL_INVALID_MESSAGE, 7],
    ['topic as number', '{"type":"publish","id":8,"topic":5}\n{"json":1}', ErrorCode.PROTOCOL_INVALID_MESSAGE, 8],
    ['publish with a string id', '{"type":"publish","id":"8","topic":"a"}\n{"json":1}', ErrorCode.PROTOCOL_INVALID_MESSAGE],
    ['publish without payload', '{"type":"publish","id":9,"topic":"a"}', ErrorCode.PROTOCOL_INVALID_MESSAGE, 9],
    ['publish payload only in the header', '{"type":"publish","topic":"a","payload":"x"}', ErrorCode.PROTOCOL_INVALID_MESSAGE],
    ['ping with payload', '{"type":"ping","id":10}\n', ErrorCode.PROTOCOL_INVALID_MESSAGE, 10],
    ['ping with a payload (bytes)', bytes('{"type":"ping","id":11}\nx'), ErrorCode.PROTOCOL_INVALID_MESSAGE, 11],
    ['hello with numeric name', '{"type":"hello","name":5}', ErrorCode.PROTOCOL_INVALID_MESSAGE],
    ['hello with null info', '{"type":"hello","info":null}', ErrorCode.PROTOCOL_INVALID_MESSAGE],
    ['presence_watch without topic', '{"type":"presence_watch","id":12}', ErrorCode.PROTOCOL_INVALID_MESSAGE, 12],
    ['invalid UTF-8 in the header', new Uint8Array([0x7b, 0xff, 0x7d]), ErrorCode.PROTOCOL_INVALID_FRAME],
    ['overlong UTF-8 in the header', new Uint8Array([0x22, 0xc0, 0xaf, 0x22]), ErrorCode.PROTOCOL_INVALID_FRAME],
    ['UTF-8 encoded surrogate', new Uint8Array([0x22, 0xed, 0xa0, 0x80, 0x22]), ErrorCode.PROTOCOL_INVALID_FRAME],
    ['truncated UTF-8 before the LF', new Uint8Array([...bytes('{"type":"ping","id":1}'), 0xe2, 0x82, 10]), ErrorCode.PROTOCOL_INVALID_FRAME],
  ];

  it.each(CLIENT_BAD)('decodeClientFrame: %s', (_label, input, code, id) => {
    expectFailure(decodeClientFrame(input), code, id);
  });

  const SERVER_BAD: ReadonlyArray<[label: string, input: RawPayload, code: string, id?: number]> = [
    ['a client type: ping', '{"type":"ping","id":1}', ErrorCode.PROTOCOL_UNKNOWN_TYPE, 1],
    ['a client type: subscribe', '{"type":"subscribe","id":2,"pattern":"a"}', ErrorCode.PROTOCOL_UNKNOWN_TYPE, 2],
    ['a client type: publish', '{"type":"publish","topic":"a"}\n{"json":1}', ErrorCode.PROTOCOL_UNKNOWN_TYPE],
    ['a client type: hello', '{"type":"hello"}', ErrorCode.PROTOCOL_UNKNOWN_TYPE],
    ['type valueOf', '{"type":"valueOf"}', ErrorCode.PROTOCOL_UNKNOWN_TYPE],
    ['welcome with negative version', '{"type":"welcome","version":-1,"id":"c","name":"n","router":{"id":"r","name":"r"},"maxPayload":1}', ErrorCode.PROTOCOL_INVALID_MESSAGE],
    ['welcome with router as string', '{"type":"welcome","version":1,"id":"c","name":"n","router":"r","maxPayload":1}', ErrorCode.PROTOCOL_INVALID_MESSAGE],
    ['message with string at', '{"type":"message","topic":"a","epoch":"e","offset":1,"at":"now","from":{"id":"c","name":"n"}}\nx', ErrorCode.PROTOCOL_INVALID_MESSAGE],
    ['message with float offset', '{"type":"message","topic":"a","epoch":"e","offset":1.5,"at":1,"from":{"id":"c","name":"n"}}\nx', ErrorCode.PROTOCOL_INVALID_MESSAGE],
    ['message from null', '{"type":"message","topic":"a","epoch":"e","offset":1,"at":1,"from":null}\nx', ErrorCode.PROTOCOL_INVALID_MESSAGE],
    ['message without payload', '{"type":"message","topic":"a","epoch":"e","offset":1,"at":1,"from":{"id":"c","name":"n"}}', ErrorCode.PROTOCOL_INVALID_MESSAGE],
    ['publish_ack with numeric epoch', '{"type":"publish_ack","id":3,"topic":"a","epoch":1,"offset":0}', ErrorCode.PROTOCOL_INVALID_MESSAGE, 3],
    ['presence_state with a member missing connectedAt', '{"type":"presence_state","id":4,"topic":"a","members":[{"id":"c","name":"n"}]}', ErrorCode.PROTOCOL_INVALID_MESSAGE, 4],
    ['presence_state with members as object', '{"type":"presence_state","id":5,"topic":"a","members":{}}', ErrorCode.PROTOCOL_INVALID_MESSAGE, 5],
    ['presence_join with numeric info', '{"type":"presence_join","topic":"a","member":{"id":"c","name":"n","info":1,"connectedAt":1}}', ErrorCode.PROTOCOL_INVALID_MESSAGE],
    ['presence_count with a negative count', '{"type":"presence_count","topic":"a","count":-1}', ErrorCode.PROTOCOL_INVALID_MESSAGE],
    ['presence_leave without reason', '{"type":"presence_leave","topic":"a","member":{"id":"c","name":"n","connectedAt":1}}', ErrorCode.PROTOCOL_INVALID_MESSAGE],
    ['error without code', '{"type":"error","id":6,"message":"m"}', ErrorCode.PROTOCOL_INVALID_MESSAGE, 6],
    ['pong with payload', '{"type":"pong","id":7}\n', ErrorCode.PROTOCOL_INVALID_MESSAGE, 7],
    ['message from a peer with a numeric name', '{"type":"message","topic":"a","epoch":"e","offset":1,"at":1,"from":{"id":"c","name":1}}\nx', ErrorCode.PROTOCOL_INVALID_MESSAGE],
    ['message from an array', '{"type":"message","topic":"a","epoch":"e","offset":1,"at":1,"from":["c","n"]}\nx', ErrorCode.PROTOCOL_INVALID_MESSAGE],
    ['presence_join with an infinite-looking connectedAt', '{"type":"presence_join","topic":"a","member":{"id":"c","name":"n","connectedAt":"1"}}', ErrorCode.PROTOCOL_INVALID_MESSAGE],
    ['request with a caller whose info is a number', '{"type":"request","id":8,"method":"m","caller":{"id":"c","name":"n","info":1},"timeout":1}\nx', ErrorCode.PROTOCOL_INVALID_MESSAGE, 8],
    ['methods with a provider missing its name', '{"type":"methods","id":9,"methods":[{"method":"m","providers":[{"id":"c"}]}]}', ErrorCode.PROTOCOL_INVALID_MESSAGE, 9],
    ['methods with providers as an object', '{"type":"methods","id":10,"methods":[{"method":"m","providers":{}}]}', ErrorCode.PROTOCOL_INVALID_MESSAGE, 10],
    ['methods with an entry missing its method', '{"type":"methods","id":11,"methods":[{"providers":[]}]}', ErrorCode.PROTOCOL_INVALID_MESSAGE, 11],
    ['methods with null for an entry', '{"type":"methods","id":12,"methods":[null]}', ErrorCode.PROTOCOL_INVALID_MESSAGE, 12],
    ['subscribed with a numeric gap', '{"type":"subscribed","id":13,"pattern":"a","at":1,"gaps":[1]}', ErrorCode.PROTOCOL_INVALID_MESSAGE, 13],
  ];

  it.each(SERVER_BAD)('decodeServerFrame: %s', (_label, input, code, id) => {
    expectFailure(decodeServerFrame(input), code, id);
  });

  it('ignores unknown extra header fields', () => {
    const client = decodedValue(decodeClientFrame('{"type":"ping","id":1,"extra":true,"nested":{"a":[1]}}'));
    expect(client.type).toBe('ping');
    expect(client).toMatchObject({ type: 'ping', id: 1 });
    const server = decodedValue(decodeServerFrame('{"type":"pong","id":2,"v2":"later"}'));
    expect(server).toMatchObject({ type: 'pong', id: 2 });
    // Regression case found by the text/bytes property: a "payload" key in the header of a type without one.
    const odd = '{"payload":[],"type":"hello"}';
    expect(decodedValue(decodeClientFrame(bytes(odd)))).toStrictEqual(decodedValue(decodeClientFrame(odd)));
  });

  it('treats the payload bytes as opaque: invalid UTF-8 after the LF is accepted', () => {
    const frame = new Uint8Array([...bytes('{"type":"publish","topic":"a"}\n'), 0xff, 0xfe, 0x00]);
    const decoded = decodedValue(decodeClientFrame(frame));
    assert(decoded.type === 'publish');
    expect(decoded.payload).toStrictEqual(new Uint8Array([0xff, 0xfe, 0x00]));
  });

  // Regression case: the same frame must decode the same way whether it arrives as text or as bytes.
  // TextDecoder strips a leading BOM from bytes, but JSON.parse refuses it in a string.
  it('decodes a header with a leading BOM the same way as text and as bytes', () => {
    const frame = '\ufeff{"type":"ping","id":1}';
    const fromText = decodeClientFrame(frame);
    const fromBytes = decodeClientFrame(bytes(frame));
    expect(fromBytes.ok).toBe(fromText.ok);
  });
});

// ---- properties ----

const HEADER_KEYS = ['id', 'topic', 'pattern', 'name', 'info', 'payload', 'version', 'router', 'from', 'member', 'members', 'at', 'offset', 'epoch', 'code', 'message', 'reason', 'maxPayload'];
const ALL_TYPES = [...Object.keys(CLIENT_MESSAGE_SPECS), ...Object.keys(SERVER_MESSAGE_SPECS), 'nope', '__proto__', 'constructor'];

/** Headers that look like messages: a known or odd type plus arbitrary JSON in the usual fields. */
const headerLike = fc
  .tuple(fc.constantFrom(...ALL_TYPES), fc.dictionary(fc.constantFrom(...HEADER_KEYS), fc.jsonValue({ maxDepth: 2 })))
  .map(([type, fields]) => JSON.stringify({ ...fields, type }));
const payloadSuffix = fc.option(fc.string({ unit: 'binary' }), { nil: undefined });
const frameLike = fc
  .tuple(fc.oneof(fc.json(), headerLike), payloadSuffix)
  .map(([head, payload]) => (payload === undefined ? head : `${head}\n${payload}`));
const anyText = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' }), frameLike);
const anyBytes = fc.oneof(
  fc.uint8Array({ maxLength: 200 }),
  frameLike.map(bytes),
  fc.tuple(frameLike.map(bytes), fc.uint8Array({ minLength: 1, maxLength: 4 }), fc.nat()).map(([b, junk, at]) => {
    const cut = at % (b.length + 1);
    return new Uint8Array([...b.subarray(0, cut), ...junk, ...b.subarray(cut)]);
  }),
);

function checkOutcome(result: Result<AnyMessage, ProtocolError>, specs: object): void {
  if (result.ok) {
    expect(Object.hasOwn(specs, result.value.type)).toBe(true);
  } else {
    expect(result.error).toBeInstanceOf(ProtocolError);
    expect(DECODE_CODES).toContain(result.error.code);
  }
}

describe.each(DECODERS)('%s on arbitrary input', (_name, decode, specs) => {
  it('never throws on arbitrary strings and returns a known type or a decode error', () => {
    fc.assert(fc.property(anyText, (input) => checkOutcome(decode(input), specs)), { numRuns: 500 });
  });

  it('never throws on arbitrary bytes and returns a known type or a decode error', () => {
    fc.assert(fc.property(anyBytes, (input) => checkOutcome(decode(input), specs)), { numRuns: 500 });
  });

  it('decodes the string form and the UTF-8 form of well-formed text alike', () => {
    const wellFormed = fc.oneof(fc.string({ unit: 'grapheme' }), frameLike).filter((s) => !/\p{Cs}/u.test(s)); // no lone surrogates
    fc.assert(
      fc.property(wellFormed, (input) => {
        const fromText = decode(input);
        const fromBytes = decode(bytes(input));
        expect(fromBytes.ok).toBe(fromText.ok);
        if (fromText.ok && fromBytes.ok) expect(withTextPayload(fromBytes.value)).toStrictEqual(fromText.value);
        if (!fromText.ok && !fromBytes.ok) expect(fromBytes.error.code).toBe(fromText.error.code);
      }),
      { numRuns: 300 },
    );
  });
});

/** Messages are plain objects, as JSON.parse makes them. */
const plain = { noNullPrototype: true } as const;
const id = fc.maxSafeNat();
const str = fc.string({ unit: 'binary', maxLength: 20 });
const payload = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 50 }), fc.uint8Array({ maxLength: 50 }));
const peer = fc.record({ id: str, name: str }, plain);
const finite = fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => n + 0); // JSON has no -0
const member: fc.Arbitrary<MemberWire> = fc.record(
  { id: str, name: str, info: str, connectedAt: finite },
  { requiredKeys: ['id', 'name', 'connectedAt'], noNullPrototype: true },
);

const clientMessage: fc.Arbitrary<ClientMessage> = fc.oneof(
  fc.record({ type: fc.constant('hello' as const), name: str, info: str, token: str, resume: str }, { requiredKeys: ['type'], noNullPrototype: true }),
  fc.record({ type: fc.constantFrom('subscribe' as const, 'unsubscribe' as const), id, pattern: str }, plain),
  fc.record({ type: fc.constant('publish' as const), id, topic: str, payload }, { requiredKeys: ['type', 'topic', 'payload'], noNullPrototype: true }),
  fc.record({ type: fc.constantFrom('presence_watch' as const, 'presence_unwatch' as const), id, topic: str }, plain),
  fc.record({ type: fc.constant('ping' as const), id }, plain),
);

const serverMessage: fc.Arbitrary<ServerMessage> = fc.oneof(
  fc.record({ type: fc.constant('welcome' as const), version: fc.nat(), id: str, name: str, router: peer, maxPayload: fc.nat(), heartbeatMs: fc.nat(), heartbeatTimeoutMs: fc.nat() }, plain),
  fc.record({ type: fc.constant('publish_ack' as const), id, topic: str, epoch: str, offset: fc.maxSafeNat() }, plain),
  fc.record({ type: fc.constant('message' as const), topic: str, epoch: str, offset: fc.maxSafeNat(), at: finite, from: peer, payload }, plain),
  fc.record({ type: fc.constant('presence_state' as const), id, topic: str, members: fc.array(member, { maxLength: 4 }) }, plain),
  fc.record({ type: fc.constant('presence_leave' as const), topic: str, member, reason: str }, plain),
  fc.record({ type: fc.constant('error' as const), id, code: str, message: str }, { requiredKeys: ['type', 'code', 'message'], noNullPrototype: true }),
);

describe('round trip of generated messages', () => {
  const cases: ReadonlyArray<[label: string, messages: fc.Arbitrary<AnyMessage>, decode: Decoder]> = [
    ['client', clientMessage, decodeClientFrame],
    ['server', serverMessage, decodeServerFrame],
  ];

  it.each(cases)('%s: decode(encode(m)) equals m, as text and as bytes', (_label, messages, decode) => {
    fc.assert(
      fc.property(messages, (message) => {
        const frame = encodeFrame(message);
        expect(decodedValue(decode(frame))).toStrictEqual(message);
        const asBytes = typeof frame === 'string' ? bytes(frame) : frame;
        const asText = typeof frame === 'string' ? frame : undefined;
        const fromBytes = decodedValue(decode(asBytes));
        expect(withTextPayload(fromBytes)).toStrictEqual(withTextPayload(message));
        if (asText !== undefined) expect(withTextPayload(fromBytes)).toStrictEqual(decodedValue(decode(asText)));
      }),
      { numRuns: 300 },
    );
  });
});

describe('the text forms the client uses', () => {
  it('decodeServerText decodes every text as decodeServerFrame does', () => {
    fc.assert(fc.property(anyText, (input) => {
        expect(decodeServerText(input)).toStrictEqual(decodeServerFrame(input));
      }), { numRuns: 500 });
  });

  it('encodeTextFrame writes what encodeFrame writes, for messages with a text payload or none', () => {
    const textMessages = fc.oneof(clientMessage, serverMessage).filter((m) => !('payload' in m) || typeof m.payload === 'string');
    fc.assert(
      fc.property(textMessages, (message) => {
        const frame = encodeTextFrame(message as Parameters<typeof encodeTextFrame>[0]);
        expect(frame).toBe(encodeFrame(message));
      }),
      { numRuns: 300 },
    );
  });
});
