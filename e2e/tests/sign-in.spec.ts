/**
 * Identity and Origin in Chromium (issue 12): the demo page signs in (a short-lived JWT from the
 * demo server) and the router knows its user; a page from another origin cannot open a WebSocket
 * to a router with `allowedOrigins` (HTTP 403 at the upgrade), and the demo's own page can.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { POLL_INTERVALS, expect, test } from './fixtures.js';

test.use({ demoOptions: { sameOriginOnly: true } });

/** Opens a bare WebSocket from the page and reports whether it opened, and how it closed. */
function tryWebSocket(url: string): Promise<{ opened: boolean; code: number }> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url, ['herald.v1.json']);
    let opened = false;
    socket.onopen = () => {
      opened = true;
      socket.close(1000);
    };
    socket.onclose = (event) => resolve({ opened, code: event.code });
  });
}

test('the page signs in: it shows its verified user, and the router sees it', async ({ demo, openPage }) => {
  const page = await openPage({ name: 'Ensign Kim' });
  await expect(page.locator('#state')).toHaveText('open');
  await expect(page.locator('#self-user')).toHaveText('web-ensign-kim');
  await expect
    .poll(() => demo.router.clients().map((client) => [client.name, client.user]), { intervals: POLL_INTERVALS })
    .toEqual([['Ensign Kim', 'web-ensign-kim']]);
});

test('a page from another origin cannot connect; the demo’s own page can', async ({ demo, newPage, allowConnectionErrors }) => {
  // The refused handshake is logged by Chromium as a console error: expected here.
  allowConnectionErrors();
  const host = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end('<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Elsewhere</title><link rel="icon" href="data:,"></head><body>another site</body></html>');
  });
  host.listen(0, '127.0.0.1');
  await once(host, 'listening');
  try {
    const elsewhere = await newPage();
    await elsewhere.goto(`http://127.0.0.1:${(host.address() as AddressInfo).port}/`);
    expect(await elsewhere.evaluate(tryWebSocket, demo.url)).toEqual({ opened: false, code: 1006 });
    expect(demo.router.clients()).toEqual([]);

    const own = await newPage();
    await own.goto(demo.pageUrl);
    await expect(own.locator('#state')).toHaveText('open');
    expect(await own.evaluate(tryWebSocket, demo.url)).toEqual({ opened: true, code: 1000 });
  } finally {
    host.closeAllConnections();
    host.close();
  }
});
