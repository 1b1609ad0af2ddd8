/**
 * The admin page in Chromium, served by `herald serve --admin` (the real bin in a process of its
 * own): the token form, live connections with names and addresses, topics with rates and history,
 * presence, methods and providers, and the Disconnect button.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { type Client, connect } from '@herald/client';
import { expect, test } from '@playwright/test';

const BIN = join(dirname(createRequire(import.meta.url).resolve('@herald/cli')), 'bin.js');
const TOKEN = 'e2e-admin-token-0123456789';

let serve: ChildProcess;
let url: string;
let adminUrl: string;

test.beforeAll(async () => {
  serve = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--admin', '--admin-token', TOKEN, '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    serve.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('\n')) resolve(out);
    });
    serve.once('exit', (code) => reject(new Error(`herald serve exited (${code})`)));
  });
  const match = /listening on (ws:\/\/\S+) \(memory engine\), admin at (\S+)/.exec(line)!;
  url = match[1]!;
  adminUrl = match[2]!;
});

test.afterAll(async () => {
  const exited = once(serve, 'exit');
  process.kill(serve.pid!, 'SIGTERM');
  await exited;
});

test('shows the router live and disconnects a client', async ({ page }) => {
  const clients: Client[] = [];
  try {
    const kirk = await connect(url, { name: 'Kirk', reconnect: false });
    const spock = await connect(url, { name: 'Spock', reconnect: false });
    clients.push(kirk, spock);
    await kirk.subscribe('bridge.>');
    await spock.subscribe('bridge.>');
    await spock.handle('science.scan', () => 'done');
    for (let i = 0; i < 3; i++) await spock.publish('bridge.log', { entry: i, at: new Date() });

    await page.goto(adminUrl);
    await page.getByLabel('Admin token').fill('a wrong token, long enough');
    await page.getByRole('button', { name: 'Open' }).click();
    await expect(page.getByRole('alert')).toHaveText('The admin token was refused.');

    await page.getByLabel('Admin token').fill(TOKEN);
    await page.getByRole('button', { name: 'Open' }).click();
    const rows = page.locator('#clients tbody tr');
    await expect(rows).toHaveCount(2);
    await expect(rows.nth(0).locator('td').nth(0)).toHaveText('Kirk');
    await expect(rows.nth(0).locator('td').nth(2)).toHaveText('127.0.0.1');
    await expect(rows.nth(1).locator('td').nth(0)).toHaveText('Spock');
    await expect(page.locator('#topics tbody tr').first().locator('td')).toHaveText([/^bridge\.log$/, /^\d+\.\d\d$/, '3', '3', /./]);
    await expect(page.locator('#presence tbody tr').first().locator('td')).toHaveText(['bridge.>', 'Kirk, Spock']);
    await expect(page.locator('#methods tbody tr').first().locator('td')).toHaveText(['science.scan', 'Spock']);
    await page.screenshot({ path: 'artifacts/admin.png', fullPage: true });

    const closed = new Promise<number | undefined>((resolve) => kirk.on('statechange', (c) => c.to === 'closed' && resolve(c.code)));
    await page.getByRole('button', { name: 'Disconnect Kirk' }).click();
    expect(await closed).toBe(1000);
    await expect(rows).toHaveCount(1);
    await expect(rows.nth(0).locator('td').nth(0)).toHaveText('Spock');
  } finally {
    await Promise.all(clients.map((c) => c.close()));
  }
});
