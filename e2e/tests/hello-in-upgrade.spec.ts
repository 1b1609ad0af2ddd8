/**
 * Chromium and the hello in the upgrade request (issue 16, PROTOCOL.md §2 "Hello in the upgrade"):
 * the demo page's client offers its hello as a `herald.v1.hello.*` subprotocol and sends no hello
 * frame; a plain page that does the same is welcomed on the 101; a malformed entry is refused with
 * a close the page can read (4000 HELLO_INVALID).
 */
import { expect, test } from './fixtures.js';

const PREFIX = 'herald.v1.hello.';

test('the demo page connects with its hello in the upgrade request, and sends no hello frame', async ({ demo, newPage }) => {
  const page = await newPage();
  // The handshake's request headers and the frames sent, as Chromium's network layer sees them.
  const cdp = await page.context().newCDPSession(page);
  const offers: string[] = [];
  const sent: string[] = [];
  cdp.on('Network.webSocketWillSendHandshakeRequest', (event: { request: { headers: Record<string, string> } }) => {
    const header = Object.entries(event.request.headers).find(([name]) => name.toLowerCase() === 'sec-websocket-protocol');
    offers.push(header?.[1] ?? '');
  });
  cdp.on('Network.webSocketFrameSent', (event: { response: { payloadData: string } }) => sent.push(event.response.payloadData));
  await cdp.send('Network.enable');
  const url = new URL(demo.pageUrl);
  url.searchParams.set('name', 'Browser-upgrade');
  await page.goto(url.href);
  await expect(page.locator('#state')).toHaveText('open');
  await expect(page.locator('#self-name')).toHaveText('Browser-upgrade');
  expect(offers.length).toBeGreaterThanOrEqual(1);
  const [codec, entry] = offers[0]!.split(',').map((offer) => offer.trim());
  expect(codec).toMatch(/^herald\.v1\./);
  expect(entry?.startsWith(PREFIX)).toBe(true);
  const hello = JSON.parse(Buffer.from(entry!.slice(PREFIX.length), 'base64url').toString('utf8')) as { type: string; name?: string };
  expect(hello).toMatchObject({ type: 'hello', name: 'Browser-upgrade' });
  expect(sent.filter((frame) => frame.startsWith('{"type":"hello"'))).toEqual([]);
  expect(demo.router.clients().map((client) => client.name)).toContain('Browser-upgrade');
});

test('a plain page offering a hello entry is welcomed on the 101; a malformed one is closed with 4000 HELLO_INVALID', async ({ demo, newPage }) => {
  const page = await newPage();
  await page.goto(demo.pageUrl);
  const entry = PREFIX + Buffer.from('{"type":"hello","name":"Raw-page"}').toString('base64url');
  const seen = await page.evaluate(
    ([url, good, bad]) => {
      const open = (offers: string[]) =>
        new Promise<{ protocol: string; first: string; code: number; reason: string }>((resolve) => {
          const socket = new WebSocket(url, offers);
          let first = '';
          socket.onmessage = (event) => {
            first = String(event.data);
            socket.close(1000);
          };
          socket.onclose = (event) => resolve({ protocol: socket.protocol, first, code: event.code, reason: event.reason });
        });
      return Promise.all([open(['herald.v1.json', good]), open(['herald.v1.json', bad])]);
    },
    [demo.url, entry, `${PREFIX}not.base64url`] as const,
  );
  const [welcomed, refused] = seen;
  expect(welcomed.protocol).toBe('herald.v1.json');
  expect(JSON.parse(welcomed.first)).toMatchObject({ type: 'welcome', name: 'Raw-page' });
  expect(refused).toEqual({ protocol: 'herald.v1.json', first: '', code: 4000, reason: expect.stringMatching(/^HELLO_INVALID: /) });
});
