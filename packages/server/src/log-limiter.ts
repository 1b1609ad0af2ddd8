/**
 * Repeated warnings, rate-limited (issue #12: a client made the router write 350–1,400 WARN lines
 * a second). Each kind of line (level and message) may be written `lines` times per `windowMs`;
 * the rest are counted, and one summary line per kind says how many were left out:
 * `closing a client that sent too many bad messages (… 1,352 more in the last 10 s)`.
 * Debug and info lines pass untouched: they are off by default and their volume is the reader's choice.
 */
import type { LogLevel, Logger } from './logger.js';

/** How many lines of one kind a window allows. */
export interface LogRateLimit {
  /** Lines of one kind written per window. Default 10. */
  lines: number;
  /** The window, in milliseconds. Default 10,000. */
  windowMs: number;
}

export const DEFAULT_LOG_RATE_LIMIT: LogRateLimit = { lines: 10, windowMs: 10_000 };

interface Kind {
  level: LogLevel;
  message: string;
  /** When the current window began. */
  since: number;
  written: number;
  suppressed: number;
  timer: ReturnType<typeof setTimeout> | undefined;
}

const COUNT = new Intl.NumberFormat('en-US');

/** Wraps `logger` so that warnings and errors of one kind are written at most `lines` times a window. */
export function limitLogRate(logger: Logger, limit: LogRateLimit = DEFAULT_LOG_RATE_LIMIT, now: () => number = () => Date.now()): Logger {
  const kinds = new Map<string, Kind>();
  const flush = (kind: Kind): void => {
    clearTimeout(kind.timer);
    kind.timer = undefined;
    if (kind.suppressed > 0) {
      const seconds = Math.round(limit.windowMs / 1000);
      logger.log(kind.level, `${kind.message} (… ${COUNT.format(kind.suppressed)} more in the last ${seconds} s)`, { suppressed: kind.suppressed });
    }
    kind.since = now();
    kind.written = 0;
    kind.suppressed = 0;
  };
  return {
    log(level, message, context) {
      if (level === 'debug' || level === 'info') return logger.log(level, message, context);
      const key = `${level} ${message}`;
      let kind = kinds.get(key);
      if (kind === undefined) kinds.set(key, (kind = { level, message, since: now(), written: 0, suppressed: 0, timer: undefined }));
      else if (now() - kind.since >= limit.windowMs) flush(kind);
      if (kind.written < limit.lines) {
        kind.written++;
        logger.log(level, message, context);
        return;
      }
      kind.suppressed++;
      if (kind.timer === undefined) {
        // The summary comes at the end of the window even if no line of this kind follows.
        const summary = kind;
        kind.timer = setTimeout(() => flush(summary), Math.max(0, summary.since + limit.windowMs - now()));
        (kind.timer as { unref?: () => void }).unref?.();
      }
    },
  };
}
