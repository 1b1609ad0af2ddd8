/**
 * Log floods (issue #12): a client that makes the router warn over and over gets a bounded number
 * of lines per kind, then one summary line with the count of those left out.
 */
import { RawClient, startRouter } from '@herald/testkit';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ALLOW_EVERYTHING, type LogLevel, type Logger, limitLogRate } from '../src/index.js';

afterEach(() => {
  vi.useRealTimers();
});

interface Line {
  level: LogLevel;
  message: string;
  context: Readonly<Record<string, unknown>> | undefined;
}

function recorder(): { logger: Logger; lines: Line[] } {
  const lines: Line[] = [];
  return { lines, logger: { log: (level, message, context) => void lines.push({ level, message, context }) } };
}

describe('log floods', () => {
  it('a flood of bad frames yields 10 lines per kind, then one summary of the rest', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const { logger, lines } = recorder();
    await using router = await startRouter({ logger, maxProtocolErrors: 0, defaultPermissions: ALLOW_EVERYTHING }) // everything on purpose: no warning about it;
    for (let i = 0; i < 60; i++) {
      const raw = await RawClient.welcomed(router.url, { name: `bad${i}` });
      raw.sendRaw('not a frame');
      expect((await raw.closed).code).toBe(4000);
    }
    const warnings = () => lines.filter((l) => l.level === 'warn');
    expect(warnings()).toHaveLength(10);
    expect(new Set(warnings().map((l) => l.message))).toEqual(new Set(['closing a client that sent too many bad messages']));
    vi.advanceTimersByTime(10_000);
    expect(warnings()).toHaveLength(11);
    expect(warnings()[10]).toEqual({
      level: 'warn',
      message: 'closing a client that sent too many bad messages (… 50 more in the last 10 s)',
      context: { suppressed: 50 },
    });
    // A new window: lines are written again.
    const raw = await RawClient.welcomed(router.url, { name: 'again' });
    raw.sendRaw('still not a frame');
    await raw.closed;
    expect(warnings()).toHaveLength(12);
  });

  it('counts each kind on its own, passes info and debug through, and formats large counts', () => {
    const clock = { now: 0 };
    const { logger, lines } = recorder();
    const limited = limitLogRate(logger, { lines: 2, windowMs: 10_000 }, () => clock.now);
    for (let i = 0; i < 1354; i++) limited.log('warn', 'a');
    for (let i = 0; i < 3; i++) limited.log('error', 'b');
    for (let i = 0; i < 5; i++) limited.log('info', 'c');
    expect(lines.map((l) => `${l.level} ${l.message}`)).toEqual(['warn a', 'warn a', 'error b', 'error b', ...Array(5).fill('info c')]);
    clock.now = 10_000;
    limited.log('warn', 'a');
    expect(lines.slice(9).map((l) => l.message)).toEqual(['a (… 1,352 more in the last 10 s)', 'a']);
  });
});
