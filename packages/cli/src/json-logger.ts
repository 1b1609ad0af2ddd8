import type { LogLevel, Logger } from '@herald/server';

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/**
 * One JSON object per line on `write` (stderr by default), for log shippers:
 * `{"time":"2026-12-06T10:00:00.000Z","level":"info","name":"herald","msg":"client connected","id":"Xk3",…}`.
 * BigInts become strings and Dates ISO strings; a context key never overrides time, level, name or msg.
 */
export function createJsonLogger(options: { level?: LogLevel; name?: string; write?: (line: string) => void } = {}): Logger {
  const threshold = RANK[options.level ?? 'info'];
  const name = options.name ?? 'herald';
  const write = options.write ?? ((line: string) => process.stderr.write(line));
  return {
    log(level, message, context) {
      if (RANK[level] < threshold) return;
      const line = { ...context, time: new Date().toISOString(), level, name, msg: message };
      write(`${JSON.stringify(line, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value))}\n`);
    },
  };
}
