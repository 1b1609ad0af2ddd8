/**
 * Chromium reads why the router refused it (PROTOCOL.md §2, "Refusals a browser can read"; issue
 * 11): a plain page's `new WebSocket(url, ['herald.v2.cbor'])` is closed with 4001 and the
 * `CODEC_UNSUPPORTED: ...` reason, where an HTTP refusal would show only 1006 and no reason.
 */
import { expect, test } from './fixtures.js';

test('a browser offering an unsupported subprotocol learns CODEC_UNSUPPORTED from the close', async ({ demo, newPage }) => {
  const page = await newPage();
  await page.goto(demo.pageUrl);
  const seen = await page.evaluate(
    (url) =>
      new Promise<{ opened: boolean; protocol: string; code: number; reason: string; wasClean: boolean }>((resolve) => {
        const socket = new WebSocket(url, ['herald.v2.cbor']);
        let opened = false;
        let protocol = '';
        socket.onopen = () => {
          opened = true;
          protocol = socket.protocol;
        };
        socket.onclose = (event) => resolve({ opened, protocol, code: event.code, reason: event.reason, wasClean: event.wasClean });
      }),
    demo.url,
  );
  expect(seen).toEqual({
    opened: true,
    protocol: 'herald.v2.cbor',
    code: 4001,
    reason: expect.stringMatching(/^CODEC_UNSUPPORTED: offer subprotocol herald\.v1\./),
    wasClean: true,
  });
});
