/** Log levels, from most to least verbose. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Where the router writes its log lines. `context` holds the facts of the line (ids, names, counts). */
export interface Logger {
  log(level: LogLevel, message: string, context?: Readonly<Record<string, unknown>>): void;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/**
 * A logger that prints one readable line per event to stderr:
 * `2026-11-22T10:00:00.000Z INFO  herald client connected id=Xk3 name="Captain" online=3`.
 */
export function createConsoleLogger(options: { level?: LogLevel; name?: string } = {}): Logger {
  const threshold = RANK[options.level ?? 'info'];
  const name = options.name ?? 'herald';
  return {
    log(level, message, context) {
      if (RANK[level] < threshold) return;
      const fields = context === undefined ? '' : formatContext(context);
      process.stderr.write(`${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${name} ${message}${fields}\n`);
    },
  };
}

/** A logger that drops everything. */
export const silentLogger: Logger = { log() {} };

function formatContext(context: Readonly<Record<string, unknown>>): string {
  let out = '';
  for (const [key, value] of Object.entries(context)) {
    if (value === undefined) continue;
    out += ` ${key}=${typeof value === 'string' && !/^[\w.:/@-]+$/.test(value) ? JSON.stringify(value) : String(value)}`;
  }
  return out;
}
