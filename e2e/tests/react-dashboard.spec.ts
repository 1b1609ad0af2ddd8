/**
 * The example React dashboard (apps/react-dashboard, built with @herald/react) in Chromium against
 * a real router: live values and presence, shared subscriptions, and cleanup when a component
 * unmounts and when the page goes away.
 */
import { readFile } from 'node:fs/promises';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect } from '@herald/client';
import { type Router, createRouter } from '@herald/server';
import { POLL_INTERVALS, expect, test } from './fixtures.js';

const DIST = fileURLToPath(new URL('../../apps/react-dashboard/dist/', import.meta.url));
const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.map': 'application/json' };

/** Serves the built dashboard on 127.0.0.1, port 0. */
async function serveDashboard(): Promise<{ url: string; server: Server }> {
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://x').pathname;
    const file = path === '/' ? 'index.html' : path.slice(1);
    if (file.includes('..')) return void response.writeHead(404).end();
    readFile(DIST + file).then(
      (body) => response.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(body),
      () => response.writeHead(404).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, server };
}

let router: Router;
let site: { url: string; server: Server };

test.beforeEach(async () => {
  router = await createRouter({ host: '127.0.0.1', port: 0, logger: false });
  site = await serveDashboard();
});

test.afterEach(async () => {
  await new Promise((resolve) => site.server.close(resolve));
  await router.close();
});

test('a React page shows live values and presence, and cleans up after itself', async ({ newPage }) => {
  const subscribeFrames: string[] = [];
  router.on('subscribe', (client, pattern) => subscribeFrames.push(`${client.name} ${pattern}`));
  const disconnects: Array<{ name: string; code: number }> = [];
  router.on('disconnect', (client, detail) => disconnects.push({ name: client.name, code: detail.code }));

  const page = await newPage();
  await page.goto(`${site.url}?router=${encodeURIComponent(router.url)}&name=Uhura`);
  await expect(page.locator('#state')).toHaveText('open');
  await expect(page.locator('#subscription-state')).toHaveText('subscribed');
  // StrictMode, and two components on sensors.*.temp: one connection, one subscription per pattern.
  await expect.poll(() => router.clients().map((c) => c.name), { intervals: POLL_INTERVALS }).toEqual(['Uhura']);
  await expect.poll(() => router.clients()[0]?.subscriptions.sort(), { intervals: POLL_INTERVALS }).toEqual(['chat.>', 'sensors.*.temp']);
  expect(subscribeFrames.sort()).toEqual(['Uhura chat.>', 'Uhura sensors.*.temp']);

  // Presence: the page itself, then a Node subscriber joining and leaving.
  await expect(page.locator('#presence li')).toHaveText(['Uhura']);
  await using sensors = await connect(router.url, { name: 'Sensors' });
  const watcher = await sensors.subscribe('sensors.*.temp');
  await expect(page.locator('#presence li')).toHaveText(['Uhura', 'Sensors']);
  await expect(page.locator('#presence-count')).toHaveText('2');

  // Live values with their types (a Date arrives as a Date).
  await sensors.publish('sensors.kitchen.temp', { at: new Date(Date.UTC(2026, 0, 1)), celsius: 21.5 });
  await expect(page.locator('#latest')).toHaveText('sensors.kitchen.temp 21.5 °C at 2026-01-01T00:00:00.000Z');
  await sensors.publish('sensors.hall.temp', { at: new Date(0), celsius: 18 });
  await expect(page.locator('#latest')).toHaveText('sensors.hall.temp 18.0 °C at 1970-01-01T00:00:00.000Z');
  await expect(page.locator('#recent li')).toHaveText(['sensors.kitchen.temp 21.5', 'sensors.hall.temp 18.0']);
  await watcher.unsubscribe();
  await expect(page.locator('#presence li')).toHaveText(['Uhura']);

  // Publish from the page, request from the page.
  await page.locator('#chat-text').fill('hailing frequencies open');
  await page.locator('#chat-send').click();
  await expect(page.locator('#chat li')).toHaveText(['dashboard: hailing frequencies open']);
  await page.locator('#stats').click();
  await expect(page.locator('#stats-result')).toHaveText('NO_HANDLER');
  await sensors.handle('stats.get', () => ({ clients: router.clients().length, uptime: 42n }));
  await page.locator('#stats').click();
  await expect(page.locator('#stats-result')).toHaveText('2 clients, up 42s');

  // Unmounting the sensor components releases their shared subscription at the router.
  await page.locator('#show-sensors').uncheck();
  await expect.poll(() => router.clients()[0]?.subscriptions, { intervals: POLL_INTERVALS }).toEqual(['chat.>']);
  await expect.poll(() => router.presence('sensors.*.temp').then((m) => m.map((x) => x.name)), { intervals: POLL_INTERVALS }).toEqual([]);

  // Leaving the page closes its connection.
  await page.goto('about:blank');
  await expect.poll(() => disconnects.map((d) => d.name), { intervals: POLL_INTERVALS }).toEqual(['Uhura']);
  expect(router.clients().map((c) => c.name)).toEqual(['Sensors']);
});
