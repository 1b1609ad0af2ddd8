/**
 * CPU accounting shared by the child processes: this process's CPU over a wall-clock window (so
 * that several processes measure the same stretch of time), and the whole machine's busy time.
 */
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { wallNow } from './payload.js';

/** USER_HZ: the unit of /proc/stat, 100 on every Linux architecture Node runs on. */
const CLOCK_TICKS_PER_SECOND = 100;

/**
 * CPU time the whole machine has spent so far (all cores, every process, interrupts and steal
 * included), in milliseconds: from /proc/stat where there is one (`os.cpus()` leaves out softirq,
 * where much of loopback TCP is counted), else from `os.cpus()`.
 */
export function machineBusyMs(): number {
  try {
    const fields = readFileSync('/proc/stat', 'latin1').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal [guest guest_nice, already in user and nice]
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields;
    return (user + nice + system + irq + softirq + steal) * (1000 / CLOCK_TICKS_PER_SECOND);
  } catch {
    let busy = 0;
    for (const { times } of cpus()) busy += times.user + times.nice + times.sys + times.irq;
    return busy;
  }
}

/**
 * This thread's scheduler accounting so far, in milliseconds (Linux `/proc/thread-self/schedstat`):
 * time on a CPU, and time runnable but waiting for one (the run queue). Over a stretch of
 * synchronous work, wall time is their sum: what is not on-CPU is the scheduler's, not the code's.
 * Undefined where there is no such file.
 */
export function threadSchedMs(): { cpuMs: number; waitMs: number } | undefined {
  try {
    const [onCpu = 0, waiting = 0] = readFileSync('/proc/thread-self/schedstat', 'latin1').split(' ', 2).map(Number);
    return { cpuMs: onCpu / 1e6, waitMs: waiting / 1e6 };
  } catch {
    return undefined;
  }
}

/**
 * The read system calls this process has made so far (Linux `/proc/self/io`, `syscr`): a socket
 * read per wake-up of a client, so that deliveries per read says how many messages a wake-up
 * found. Undefined where there is no such file.
 */
export function readSyscalls(): number | undefined {
  try {
    const match = /^syscr: (\d+)$/m.exec(readFileSync('/proc/self/io', 'latin1'));
    return match === null ? undefined : Number(match[1]);
  } catch {
    return undefined;
  }
}

/**
 * How many times this thread has slept so far (Linux `/proc/thread-self/status`,
 * `voluntary_ctxt_switches`): for a subscriber's main thread, each is an event-loop wait that
 * blocked, so that deliveries per sleep says how many a wake-up of the process found. Undefined
 * where there is no such file.
 */
export function threadSleeps(): number | undefined {
  try {
    const match = /^voluntary_ctxt_switches:\s+(\d+)$/m.exec(readFileSync('/proc/thread-self/status', 'latin1'));
    return match === null ? undefined : Number(match[1]);
  } catch {
    return undefined;
  }
}

export interface CpuSample {
  /** Wall time (`wallNow()`), in milliseconds. */
  at: number;
  cpu: NodeJS.CpuUsage;
  machineBusyMs: number;
}

/** A sample now; `cpu` is the CPU to count (default: this process's). */
export function sampleCpu(cpu: () => NodeJS.CpuUsage = () => process.cpuUsage()): CpuSample {
  return { at: wallNow(), cpu: cpu(), machineBusyMs: machineBusyMs() };
}

/** Takes a sample at wall time `at` (at once if it has passed); a busy process may take it a little late. */
export function sampleAt(at: number, cpu?: () => NodeJS.CpuUsage): Promise<CpuSample> {
  return new Promise((resolve) => setTimeout(() => resolve(sampleCpu(cpu)), Math.max(0, at - wallNow())));
}

/** This process's CPU between two samples. */
export interface CpuWindow {
  /** Wall time between the two samples, in milliseconds. */
  elapsedMs: number;
  /** User + system CPU, in milliseconds. */
  cpuMs: number;
  /** The kernel's share of `cpuMs`. */
  cpuSystemMs: number;
  /** The whole machine's CPU time over the same stretch, in milliseconds. */
  machineBusyMs: number;
}

export function between(start: CpuSample, end: CpuSample): CpuWindow {
  const user = end.cpu.user - start.cpu.user;
  const system = end.cpu.system - start.cpu.system;
  return {
    elapsedMs: end.at - start.at,
    cpuMs: (user + system) / 1000,
    cpuSystemMs: system / 1000,
    machineBusyMs: end.machineBusyMs - start.machineBusyMs,
  };
}

/** This process's CPU from wall time `startAt` to `endAt`. */
export async function cpuWindow(startAt: number, endAt: number): Promise<CpuWindow> {
  const start = await sampleAt(startAt);
  const end = await sampleAt(endAt);
  return between(start, end);
}
