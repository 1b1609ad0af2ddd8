/**
 * Fixtures shared by the specs: a demo of their own (port 0, no swarm, no publisher, no services
 * unless a test asks), pages whose console errors fail the test, and subscriber processes
 * (`member.js`) that the test starts and stops itself.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Demo, type DemoOptions, FEED_PATTERN, MEMBER_SCRIPT, startDemo } from '@herald/demo';
import type { Router } from '@herald/server';
import { type BrowserContext, type BrowserContextOptions, type Page, test as base, expect } from '@playwright/test';

export { expect };

const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url));

/**
 * Saves a screenshot for people to look at: `e2e/artifacts/<name>` (ignored by git). Animations
 * are finished first, so a row that is fading in shows as it will look.
 */
export async function snapshot(page: Page, name: string, options: { fullPage?: boolean } = {}): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: `${ARTIFACTS}${name}`, animations: 'disabled', ...options });
}

/** A subscriber process started by a test. */
export interface MemberProcess {
  readonly name: string;
  readonly process: ChildProcess;
  /** Its stdout and stderr so far, for failure messages. */
  output(): string;
  /** Sends `signal` and resolves with how the process ended. */
  stop(signal: 'SIGTERM' | 'SIGKILL'): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

interface Fixtures {
  /** Options of this test's demo; override with `test.use({ demoOptions: {...} })`. */
  demoOptions: DemoOptions;
  demo: Demo;
  /** Console errors and page errors seen on every page of the test; the test fails if any. */
  consoleErrors: ConsoleWatch;
  /**
   * For tests that stop the router on purpose: from now on, the browser's own
   * "WebSocket connection to '<this demo's router>' failed: …" console errors (a refused or failed
   * reconnect attempt) do not fail the test. Every other console error still does.
   */
  allowConnectionErrors: () => void;
  /** A blank page in a new browser context, its console watched. */
  newPage: (context?: BrowserContextOptions) => Promise<Page>;
  /** Opens the demo's page (or `path`) in a new browser context, named `name` in presence. */
  openPage: (options: { name?: string; path?: string; context?: BrowserContextOptions }) => Promise<Page>;
  /** Starts `node member.js --name <name>` against this test's demo. */
  spawnMember: (name: string) => MemberProcess;
}

export const test = base.extend<Fixtures>({
  demoOptions: [{}, { option: true }],

  demo: async ({ demoOptions }, use) => {
    const demo = await startDemo({ port: 0, swarm: false, publisher: false, services: false, logger: false, ...demoOptions });
    await use(demo);
    await demo.close();
  },

  consoleErrors: [
    async ({ page }, use, testInfo) => {
      const watch: ConsoleWatch = { errors: [], allowed: [], allow: undefined };
      watchConsole(page, watch);
      await use(watch);
      if (watch.allowed.length > 0) await testInfo.attach('allowed-connection-errors', { body: watch.allowed.join('\n'), contentType: 'text/plain' });
      if (watch.errors.length > 0) await testInfo.attach('console-errors', { body: watch.errors.join('\n'), contentType: 'text/plain' });
      expect(watch.errors, 'console errors on the pages of this test').toEqual([]);
    },
    { auto: true },
  ],

  allowConnectionErrors: async ({ consoleErrors, demo }, use) => {
    const exact = new RegExp(`^WebSocket connection to '${escapeRegExp(demo.url)}' failed: `);
    await use(() => {
      consoleErrors.allow = exact;
    });
  },

  newPage: async ({ browser, consoleErrors }, use) => {
    const contexts: BrowserContext[] = [];
    await use(async (options) => {
      const context = await browser.newContext(options);
      contexts.push(context);
      const page = await context.newPage();
      watchConsole(page, consoleErrors);
      return page;
    });
    for (const context of contexts) await context.close();
  },

  openPage: async ({ demo, newPage }, use) => {
    await use(async ({ name, path = '', context }) => {
      const page = await newPage(context);
      const url = new URL(path, demo.pageUrl);
      if (name !== undefined) url.searchParams.set('name', name);
      await page.goto(url.href);
      return page;
    });
  },

  spawnMember: async ({ demo }, use, testInfo) => {
    const members: MemberProcess[] = [];
    await use((name) => {
      const child = spawn(process.execPath, [MEMBER_SCRIPT, '--url', demo.url, '--name', name, '--role', 'e2e', '--log-every', '1'], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const exit = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
      const member: MemberProcess = {
        name,
        process: child,
        output: () => output,
        async stop(signal) {
          child.kill(signal);
          const [code, endSignal] = await exit;
          return { code, signal: endSignal };
        },
      };
      members.push(member);
      return member;
    });
    for (const member of members) {
      if (member.process.exitCode === null && member.process.signalCode === null) {
        const exited = once(member.process, 'exit');
        member.process.kill('SIGKILL');
        await exited;
      }
      if (testInfo.status !== testInfo.expectedStatus) {
        await testInfo.attach(`member-${member.name}.log`, { body: member.output(), contentType: 'text/plain' });
      }
    }
  },
});

/** What the pages of a test said on their console. */
export interface ConsoleWatch {
  /** Console errors and uncaught exceptions: the test fails if there is any. */
  errors: string[];
  /** Console errors that `allow` matched: attached to the report, not failures. */
  allowed: string[];
  /** Set by `allowConnectionErrors()`: the browser's own failed-WebSocket lines for the demo's router. */
  allow: RegExp | undefined;
}

function watchConsole(page: Page, watch: ConsoleWatch): void {
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    const text = message.text();
    const line = `${page.url()}: console.error: ${text}`;
    if (watch.allow?.test(text)) watch.allowed.push(line);
    else watch.errors.push(line);
  });
  // An uncaught exception is never allowed.
  page.on('pageerror', (error) => watch.errors.push(`${page.url()}: uncaught: ${error.stack ?? error.message}`));
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** `expect.poll` checks at these intervals (ms), then every last one: state changes here take milliseconds. */
export const POLL_INTERVALS = [20, 50, 100, 200];

/** The names of the router's clients subscribed to the feed (the page's presence topic), sorted. */
export function subscriberNames(router: Router): string[] {
  return router
    .clients()
    .filter((client) => client.subscriptions.includes(FEED_PATTERN))
    .map((client) => client.name)
    .sort();
}

/** The names on the page's presence panel, sorted. */
export async function pageMemberNames(page: Page): Promise<string[]> {
  const names = await page
    .locator('#presence-list [data-member-name]')
    .evaluateAll((rows) => rows.map((row) => (row as HTMLElement).dataset.memberName ?? ''));
  return names.sort();
}

/**
 * Waits until the router has exactly `expected` subscribed to the feed, then until the page shows
 * the same names and count: after each step, page and `router.clients()` agree.
 */
export async function expectPresenceInSync(page: Page, router: Router, expected: readonly string[]): Promise<void> {
  const names = [...expected].sort();
  await expect.poll(() => subscriberNames(router), { message: 'router.clients() subscribed to the feed', intervals: POLL_INTERVALS }).toEqual(names);
  await expect.poll(() => pageMemberNames(page), { message: `presence panel of ${page.url()}`, intervals: POLL_INTERVALS }).toEqual(names);
  await expect(page.locator('#presence-count')).toHaveText(String(names.length));
  expect(subscriberNames(router)).toEqual(await pageMemberNames(page));
}
