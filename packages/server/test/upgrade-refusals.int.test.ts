/**
 * Refusals a browser can read (PROTOCOL.md §2; issue 11). A browser sees neither the status nor the
 * headers of a refused upgrade, only a 1006 close without a reason; so the router refuses at the
 * WebSocket level (accept, then close at once with the documented code and a `CODE: ...` reason)
 * whenever the reason is the client's to know: an unsupported subprotocol (4001), a full router
 * (1013), a router shutting down (1001). A wrong path stays an HTTP 404.
 */
import { ConnectionError, ErrorCode, connect, jsonCodec, superjsonCodec } from '@herald/client';
import { type BrowserCloseEvent, BrowserLikeWebSocket, RawClient, rejection, startRouter } from '@herald/testkit';
import { describe, expect, it } from 'vitest';

/** What a page's `new WebSocket(url, protocols)` sees: the selected protocol on open, then the close. */
function browserOpen(url: string, protocols: string[]): Promise<{ opened: boolean; protocol: string; frames: string[]; close: BrowserCloseEvent }> {
  return new Promise((resolve) => {
    const socket = new BrowserLikeWebSocket(url, protocols);
    let opened = false;
    let protocol = '';
    const frames: string[] = [];
    socket.onopen = () => {
      opened = true;
      protocol = socket.protocol;
    };
    socket.onmessage = (event) => frames.push(String(event.data));
    socket.onclose = (event) => resolve({ opened, protocol, frames, close: event as BrowserCloseEvent });
  });
}

describe('refusals a browser can read', () => {
  it('CODEC_UNSUPPORTED: the upgrade echoes the first offer, then the socket closes with 4001 and the reason', async () => {
    await using router = await startRouter();
    const seen = await browserOpen(router.url, ['herald.v2.cbor', 'herald.v1.msgpack']);
    expect(seen.opened).toBe(true);
    expect(seen.protocol).toBe('herald.v2.cbor');
    expect(seen.frames).toEqual([]);
    expect(seen.close.code).toBe(4001);
    expect(seen.close.wasClean).toBe(true);
    expect(seen.close.reason).toBe('CODEC_UNSUPPORTED: offer subprotocol herald.v1.superjson or herald.v1.json');
    expect(router.stats().connections).toBe(0);
    expect(router.clients()).toEqual([]);
  });

  it('CODEC_UNSUPPORTED: a Herald client in a browser rejects with the code, final (no retry)', async () => {
    await using router = await startRouter({ codecs: [jsonCodec] });
    const error = await rejection(connect(router.url, { WebSocket: BrowserLikeWebSocket, codec: superjsonCodec }));
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error).toMatchObject({ code: ErrorCode.CODEC_UNSUPPORTED, closeCode: 4001, retryable: false });
    // The same from Node's `ws`, which could read HTTP refusals: one answer for both.
    const fromNode = await rejection(connect(router.url, { codec: superjsonCodec }));
    expect(fromNode).toMatchObject({ code: ErrorCode.CODEC_UNSUPPORTED, closeCode: 4001, retryable: false });
  });

  it('CODEC_UNSUPPORTED: the reason names only this router’s codecs', async () => {
    await using router = await startRouter({ codecs: [jsonCodec] });
    await using raw = await RawClient.open(router.url, { protocols: ['herald.v1.superjson'] });
    const { close } = await raw.untilClosed();
    expect(close).toEqual({ code: 4001, reason: 'CODEC_UNSUPPORTED: offer subprotocol herald.v1.json' });
  });

  it('ROUTER_FULL: 1013 with the reason, and a Herald client in a browser rejects with ROUTER_FULL (retryable)', async () => {
    await using router = await startRouter({ maxConnections: 1 });
    await using first = await RawClient.welcomed(router.url);
    const seen = await browserOpen(router.url, ['herald.v1.json']);
    expect(seen.close.code).toBe(1013);
    expect(seen.close.reason).toMatch(/^ROUTER_FULL: /);
    const error = await rejection(connect(router.url, { WebSocket: BrowserLikeWebSocket }));
    expect(error).toMatchObject({ code: ErrorCode.ROUTER_FULL, closeCode: 1013, retryable: true });
    expect(first.welcome!.type).toBe('welcome');
  });

  it('a wrong path stays HTTP 404: a browser sees 1006 and no reason', async () => {
    await using router = await startRouter();
    const seen = await browserOpen(`ws://127.0.0.1:${router.port}/elsewhere`, ['herald.v1.json']);
    expect(seen.opened).toBe(false);
    expect(seen.close.code).toBe(1006);
    expect(seen.close.reason).toBe('');
  });
});
