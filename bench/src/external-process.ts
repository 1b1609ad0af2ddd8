/**
 * CPU and memory of a process that is not Node (the NATS broker), from /proc/<pid>/stat, so that a
 * system whose router is another program is measured like the others: its CPU counts as router CPU.
 */
import { readFileSync } from 'node:fs';

/** USER_HZ: the unit of /proc/<pid>/stat's times, 100 on every Linux architecture Node runs on. */
const CLOCK_TICKS_PER_SECOND = 100;
const PAGE_SIZE = 4096;

/** The fields of /proc/<pid>/stat after the command name (which may contain spaces), from field 3. */
function statFields(pid: number): string[] {
  const text = readFileSync(`/proc/${pid}/stat`, 'latin1');
  return text.slice(text.lastIndexOf(')') + 2).trim().split(/\s+/);
}

/**
 * The process's CPU so far, user and system, in microseconds (like `process.cpuUsage()`); zeros
 * once it has gone. Resolution: 10 ms (one clock tick).
 */
export function processCpu(pid: number): NodeJS.CpuUsage {
  try {
    const fields = statFields(pid);
    // Fields 14 (utime) and 15 (stime), counted from 1; `fields` starts at field 3.
    const perTick = 1e6 / CLOCK_TICKS_PER_SECOND;
    return { user: Number(fields[11]) * perTick, system: Number(fields[12]) * perTick };
  } catch {
    return { user: 0, system: 0 };
  }
}

/** CPU milliseconds (user + system) the processes `pids` have used so far, summed: 0 for one gone. */
export function processesCpuMs(pids: readonly number[]): number {
  let micros = 0;
  for (const pid of pids) {
    const { user, system } = processCpu(pid);
    micros += user + system;
  }
  return micros / 1000;
}

/** The process's resident set size in bytes (field 24), 0 once it has gone. */
export function processRss(pid: number): number {
  try {
    return Number(statFields(pid)[21]) * PAGE_SIZE;
  } catch {
    return 0;
  }
}
