/**
 * Garbage-collection pauses of this process, as Node's performance timeline reports them
 * (`perf_hooks`, entry type `gc`): count, total and longest pause, and how many were major
 * (mark-compact). The latency scenario reports them for the router and the subscribers, since a
 * pause of either one delays every message in flight (issue 16: where Herald's p99 goes).
 */
import { PerformanceObserver, constants } from 'node:perf_hooks';

export interface GcPauses {
  count: number;
  totalMs: number;
  maxMs: number;
  /** Mark-compact pauses among them. */
  major: number;
  majorMs: number;
}

export function emptyPauses(): GcPauses {
  return { count: 0, totalMs: 0, maxMs: 0, major: 0, majorMs: 0 };
}

/** Starts counting; the returned function stops and returns what was counted. */
export function watchGc(): () => GcPauses {
  const pauses = emptyPauses();
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      pauses.count++;
      pauses.totalMs += entry.duration;
      pauses.maxMs = Math.max(pauses.maxMs, entry.duration);
      const kind = ((entry as unknown as { detail?: { kind?: number } }).detail)?.kind;
      if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) {
        pauses.major++;
        pauses.majorMs += entry.duration;
      }
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  return () => {
    // Entries still buffered are delivered by takeRecords.
    for (const entry of observer.takeRecords()) {
      pauses.count++;
      pauses.totalMs += entry.duration;
      pauses.maxMs = Math.max(pauses.maxMs, entry.duration);
    }
    observer.disconnect();
    return pauses;
  };
}

/** Sums the pauses of several processes (max of the maxima). */
export function addPauses(a: GcPauses, b: GcPauses): GcPauses {
  return { count: a.count + b.count, totalMs: a.totalMs + b.totalMs, maxMs: Math.max(a.maxMs, b.maxMs), major: a.major + b.major, majorMs: a.majorMs + b.majorMs };
}

/**
 * This process's memory after `rounds` full collections, each followed by a macrotask (so that
 * what a collection freed through finalizers goes in the next one). Needs `node --expose-gc`.
 */
export async function memoryAfterGc(rounds: number): Promise<NodeJS.MemoryUsage> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with node --expose-gc');
  for (let i = 0; i < rounds; i++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  return process.memoryUsage();
}
