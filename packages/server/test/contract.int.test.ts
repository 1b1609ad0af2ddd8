/**
 * Contracts at the router (PROTOCOL.md 9.1): publishes and request params checked after decoding,
 * refused with VALIDATION_FAILED before anyone receives them; only what the contract names is
 * decoded. And at the client: outgoing checks before sending, incoming ones as an option.
 */
import { type Client, type ConnectOptions, ValidationError, connect, defineContract } from '@herald/client';
import { type Codec, ErrorCode, HeraldError, ProtocolError, superjsonCodec } from '@herald/protocol';
import type { StandardSchemaV1 } from '@standard-schema/spec';
import type { RouterOptions } from '@herald/server';
import { Log, expectError, recordingWebSocket, rejection, startRouter } from '@herald/testkit';
import * as v from 'valibot';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';

const contract = defineContract({
  topics: {
    'sensors.*.temp': z.object({ at: z.date(), celsius: z.number().min(-90).max(60) }),
    'inventory.>': v.object({ counts: v.map(v.string(), v.bigint()) }),
  },
  methods: { 'stats.get': { params: z.object({ since: z.date() }), result: z.object({ clients: z.number() }) } },
});

const closers: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const closer of closers.splice(0).reverse()) await closer.close();
});

async function router(options: Omit<RouterOptions, 'contract'> = {}) {
  const r = await startRouter({ ...options, contract });
  closers.push(r);
  return r;
}

async function client(url: string, options: ConnectOptions = {}): Promise<Client> {
  const c = await connect(url, options);
  closers.push(c);
  return c;
}

/** A Standard Schema for strings whose checks all wait until `release()`: an asynchronous schema. */
function gatedString(): { schema: StandardSchemaV1<string>; release: () => void } {
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const schema: StandardSchemaV1<string> = {
    '~standard': { version: 1, vendor: 'test', validate: async (value) => (await gate, typeof value === 'string' ? { value } : { issues: [{ message: 'not a string' }] }) },
  };
  return { schema, release };
}

/** A codec that counts decodes: the router decodes with the codec the connection negotiated. */
function countingCodec(): { codec: Codec; decodes: () => number } {
  let decodes = 0;
  const codec: Codec = { ...superjsonCodec, decode: (text) => (decodes++, superjsonCodec.decode(text)) };
  return { codec, decodes: () => decodes };
}

describe('the router checks against its contract', () => {
  it('refuses a publish that breaks the contract with VALIDATION_FAILED, before anyone receives it', async () => {
    const r = await router();
    const received = new Log<unknown>();
    const subscriber = await client(r.url, { name: 'subscriber' });
    await subscriber.subscribe('sensors.>', (data) => received.push(data));
    // No contract on this publisher: only the router stands in the way.
    const publisher = await client(r.url, { name: 'publisher' });
    const error = await rejection(publisher.publish('sensors.hall.temp', { at: '1970-01-01', celsius: 500 }));
    expectError(error, ProtocolError, ErrorCode.VALIDATION_FAILED);
    expect((error as Error).message).toContain('at');
    expect((error as Error).message).toContain('celsius');
    const good = { at: new Date(0), celsius: 21.5 };
    await publisher.publish('sensors.hall.temp', good);
    expect(await received.until(1)).toEqual([good]);
    await subscriber.ping();
    expect(received.values).toHaveLength(1);
    expect(r.stats().publications).toBe(1);
    // A refusal is not a protocol error: the connection stays open and usable.
    expect(publisher.state).toBe('open');
  });

  it('checks a Map of BigInts as a Map of BigInts (valibot)', async () => {
    const r = await router();
    const publisher = await client(r.url);
    await publisher.publish('inventory.parts', { counts: new Map([['bolts', 12n]]) });
    const error = await rejection(publisher.publish('inventory.parts', { counts: new Map([['bolts', 12]]) }));
    expectError(error, ProtocolError, ErrorCode.VALIDATION_FAILED);
    expect(await rejection(publisher.publish('inventory.parts', { counts: { bolts: 12n } }))).toMatchObject({ code: ErrorCode.VALIDATION_FAILED });
  });

  it('refuses request params before any provider sees them', async () => {
    const r = await router();
    const calls = new Log<unknown>();
    const provider = await client(r.url, { name: 'provider' });
    await provider.handle('stats.get', (params) => (calls.push(params), { clients: 1 }));
    const caller = await client(r.url, { name: 'caller' });
    const error = await rejection(caller.request('stats.get', { since: 'yesterday' }));
    expectError(error, HeraldError, ErrorCode.VALIDATION_FAILED);
    expect(await caller.request('stats.get', { since: new Date(0) })).toEqual({ clients: 1 });
    expect(calls.values).toEqual([{ since: new Date(0) }]);
  });

  it('refuses router.publish of a value that breaks the contract', async () => {
    const r = await router();
    expectError(await rejection(r.publish('sensors.hall.temp', { at: new Date(), celsius: 'warm' } as never)), ValidationError, ErrorCode.VALIDATION_FAILED);
    await r.publish('sensors.hall.temp', { at: new Date(), celsius: 20 });
    expect(r.stats().publications).toBe(1);
  });

  it('decodes a payload only when the contract names its topic', async () => {
    const counting = countingCodec();
    const r = await router({ codecs: [counting.codec], validatePayloads: false });
    const publisher = await client(r.url);
    await publisher.publish('free.topic', { anything: new Date() });
    await publisher.publish('free.topic', 'goes');
    expect(counting.decodes()).toBe(0);
    await publisher.publish('sensors.a.temp', { at: new Date(), celsius: 1 });
    expect(counting.decodes()).toBe(1);
    const noContract = await startRouter({ codecs: [counting.codec], validatePayloads: false });
    closers.push(noContract);
    const other = await client(noContract.url);
    await other.publish('sensors.a.temp', { at: 'not checked', celsius: 'at all' });
    expect(counting.decodes()).toBe(1);
  });

  it('refuses a result it decodes for router.request, and one a local handler returns', async () => {
    const r = await router();
    const provider = await client(r.url);
    let result: unknown = { clients: 'many' };
    await provider.handle('stats.get', () => result);
    expect(await rejection(r.request('stats.get', { since: new Date(0) }))).toMatchObject({ code: ErrorCode.VALIDATION_FAILED });
    result = { clients: 2 };
    expect(await r.request('stats.get', { since: new Date(0) })).toEqual({ clients: 2 });
    await provider.close();

    // A local handler's result is a value the router holds: checked before it goes to the caller.
    const handled = await r.handle('stats.get', () => ({ clients: 'lots' }) as never);
    const caller = await client(r.url); // no contract of its own: only the router stands in the way
    expect(await rejection(caller.request('stats.get', { since: new Date(0) }))).toMatchObject({ code: ErrorCode.VALIDATION_FAILED });
    await handled.unregister();
  });

  it('relays a result between two clients without decoding it (not checked by the router)', async () => {
    const counting = countingCodec();
    const r = await router({ codecs: [counting.codec] });
    const provider = await client(r.url);
    await provider.handle('stats.get', () => ({ clients: 'many' }));
    const caller = await client(r.url);
    expect(await caller.request('stats.get', { since: new Date(0) })).toEqual({ clients: 'many' });
    expect(counting.decodes()).toBe(1); // the params only
  });

  it('keeps a connection order while an asynchronous check runs', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const slow: StandardSchemaV1<string> = {
      '~standard': { version: 1, vendor: 'test', validate: async (value) => (await gate, typeof value === 'string' ? { value } : { issues: [{ message: 'not a string' }] }) },
    };
    const r = await startRouter({ contract: defineContract({ topics: { 'slow.>': slow } }) });
    closers.push(r);
    const received = new Log<string>();
    const subscriber = await client(r.url);
    await subscriber.subscribe('>', (_data, meta) => received.push(meta.topic));
    const publisher = await client(r.url);
    const acks = [publisher.publish('slow.a', 'first'), publisher.publish('fast.b', 'second'), publisher.publish('slow.c', 3)];
    await publisher.ping();
    expect(received.values).toEqual([]);
    release();
    const [first, second, third] = (await Promise.allSettled(acks)) as [PromiseSettledResult<unknown>, PromiseSettledResult<unknown>, PromiseSettledResult<unknown>];
    expect([first.status, second.status, third.status]).toEqual(['fulfilled', 'fulfilled', 'rejected']);
    expect((third as PromiseRejectedResult).reason).toMatchObject({ code: ErrorCode.VALIDATION_FAILED });
    expect(await received.until(2)).toEqual(['slow.a', 'fast.b']);
  });
});

describe('the client checks against its contract', () => {
  it('refuses to send a publish or params that break it, with the issues', async () => {
    const r = await startRouter();
    closers.push(r);
    const sent: string[] = [];
    const typed = await connect(r.url, { contract, WebSocket: recordingWebSocket(sent) });
    closers.push(typed);
    const error = expectError(await rejection(typed.publish('sensors.hall.temp', { at: new Date(), celsius: 100 })), ValidationError, ErrorCode.VALIDATION_FAILED);
    expect(error.issues.map((issue) => issue.path)).toEqual([['celsius']]);
    expectError(await rejection(typed.request('stats.get', { since: 0 as unknown as Date })), ValidationError, ErrorCode.VALIDATION_FAILED);
    expect(sent.map((frame) => JSON.parse(frame.split('\n')[0]!).type as string).filter((t) => t === 'publish' || t === 'request')).toEqual([]);
    await typed.publish('sensors.hall.temp', { at: new Date(), celsius: 10 });
  });

  it('drops and reports a received message that breaks it, with validateIncoming', async () => {
    const r = await startRouter();
    closers.push(r);
    const strict = await client(r.url, { contract, validateIncoming: true });
    const errors = new Log<HeraldError>();
    strict.on('error', errors.push);
    const received = new Log<unknown>();
    await strict.subscribe('sensors.>', (data) => received.push(data));
    const loose = await client(r.url);
    await loose.publish('sensors.hall.temp', { at: 'bad', celsius: 1 });
    const good = { at: new Date(0), celsius: 1 };
    await loose.publish('sensors.hall.temp', good);
    expect(await received.until(1)).toEqual([good]);
    expect(errors.values.map((e) => e.code)).toEqual([ErrorCode.VALIDATION_FAILED]);
    expect(errors.values[0]).toBeInstanceOf(ValidationError);
  });

  it('sends in call order behind an asynchronous schema, and refuses what it refuses', async () => {
    const r = await startRouter();
    closers.push(r);
    const slow = gatedString();
    const sent: string[] = [];
    const asyncContract = defineContract({ topics: { 'slow.>': slow.schema }, methods: { 'slow.echo': { params: slow.schema } } });
    const publisher = await client(r.url, { contract: asyncContract, WebSocket: recordingWebSocket(sent) });
    const provider = await client(r.url);
    await provider.handle('slow.echo', (params) => params);
    const received = new Log<string>();
    const subscriber = await client(r.url);
    await subscriber.subscribe('>', (_data, meta) => received.push(meta.topic));
    const calls = [
      publisher.publish('slow.a', 'first' as never),
      publisher.publish('fast.b', 'second'),
      publisher.request('slow.echo', 'third' as never),
      publisher.publish('slow.c', 3 as never),
      publisher.publish('fast.d', 'fifth'),
    ];
    await publisher.ping();
    const kinds = (): string[] => sent.map((frame) => JSON.parse(frame.split('\n')[0]!) as { type: string; topic?: string; method?: string }).filter((f) => f.type === 'publish' || f.type === 'request').map((f) => f.topic ?? f.method!);
    expect(kinds()).toEqual([]);
    slow.release();
    const settled = await Promise.allSettled(calls);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect((settled[3] as PromiseRejectedResult).reason).toMatchObject({ code: ErrorCode.VALIDATION_FAILED });
    expect(kinds()).toEqual(['slow.a', 'fast.b', 'slow.echo', 'fast.d']);
    expect(await received.until(3)).toEqual(['slow.a', 'fast.b', 'fast.d']);
  });

  it('delivers in arrival order behind an asynchronous schema, with validateIncoming', async () => {
    const r = await startRouter();
    closers.push(r);
    const slow = gatedString();
    const strict = await client(r.url, { contract: defineContract({ topics: { 'slow.>': slow.schema } }), validateIncoming: true });
    const errors = new Log<HeraldError>();
    strict.on('error', errors.push);
    const received = new Log<unknown>();
    await strict.subscribe('>', (data) => received.push(data));
    const witness = new Log<unknown>();
    const observer = await client(r.url);
    await observer.subscribe('>', (data) => witness.push(data));
    const loose = await client(r.url);
    await loose.publish('slow.a', 'first');
    await loose.publish('fast.b', 'second');
    await loose.publish('slow.c', 3);
    await loose.publish('fast.d', 'fourth');
    await witness.until(4);
    await strict.ping(); // every message reached the strict client too: all wait behind the check
    expect(received.values).toEqual([]);
    slow.release();
    expect(await received.until(3)).toEqual(['first', 'second', 'fourth']);
    expect(errors.values.map((e) => e.code)).toEqual([ErrorCode.VALIDATION_FAILED]);
  });

  it('rejects a result that breaks it, with validateIncoming', async () => {
    const r = await startRouter();
    closers.push(r);
    r.handle('stats.get', () => ({ clients: 'many' }));
    const strict = await client(r.url, { contract, validateIncoming: true });
    expectError(await rejection(strict.request('stats.get', { since: new Date() })), ValidationError, ErrorCode.VALIDATION_FAILED);
  });
});
