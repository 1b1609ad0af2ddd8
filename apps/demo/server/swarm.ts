import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { Logger } from '@herald/server';

/** One named subscriber of the swarm (hein's listeners). */
export interface CrewMember {
  name: string;
  role: string;
}

/** hein's crew. */
export const CREW: readonly CrewMember[] = [
  { name: 'Captain', role: 'commanding officer' },
  { name: 'Kirk', role: 'captain' },
  { name: 'Spock', role: 'science officer' },
  { name: 'Uhura', role: 'communications' },
  { name: 'Sulu', role: 'helm' },
  { name: 'Chekov', role: 'navigator' },
  { name: 'Scotty', role: 'engineer' },
  { name: 'McCoy', role: 'doctor' },
];

/** The compiled subscriber process: `node <MEMBER_SCRIPT> --url ws://... --name Kirk`. */
export const MEMBER_SCRIPT = fileURLToPath(new URL('./member.js', import.meta.url));

export interface SwarmOptions {
  /** The router's WebSocket URL, or a cluster's URLs (members are given them comma-separated). */
  url: string | readonly string[];
  logger: Logger;
  crew?: readonly CrewMember[];
  /** How long a member stays, at random between the two, in ms. Default 4,000–15,000. */
  onlineMs?: readonly [number, number];
  /** How long a member stays away before it joins again, in ms. Default 1,500–8,000. */
  offlineMs?: readonly [number, number];
  /** The share of departures that are a SIGKILL instead of a clean close. Default 0.35. */
  killRatio?: number;
  /** Each member logs one received message in this many. Default 20. */
  memberLogEvery?: number;
  random?: () => number;
}

interface Slot {
  crew: CrewMember;
  child: ChildProcess | undefined;
  timer: ReturnType<typeof setTimeout> | undefined;
  joinedAt: number;
}

/**
 * A swarm of subscriber processes that join and drop at random: each member is a child process
 * running `member.js`; it leaves either cleanly (SIGTERM: the member closes its client) or
 * abruptly (SIGKILL: the router only sees the socket drop), so presence changes all the time.
 */
export class Swarm {
  readonly #options: SwarmOptions;
  readonly #random: () => number;
  readonly #slots: Slot[];
  #closing = false;

  constructor(options: SwarmOptions) {
    this.#options = options;
    this.#random = options.random ?? Math.random;
    this.#slots = (options.crew ?? CREW).map((crew) => ({ crew, child: undefined, timer: undefined, joinedAt: 0 }));
  }

  /** Starts the members over the first few seconds. */
  start(): void {
    this.#options.logger.log('info', 'swarm: starting', { members: this.#slots.length, killRatio: this.#killRatio });
    for (const slot of this.#slots) this.#schedule(slot, () => this.#join(slot), this.#between([0, 3000]));
  }

  /** The names of the members whose process is running. */
  online(): string[] {
    return this.#slots.filter((slot) => slot.child !== undefined).map((slot) => slot.crew.name);
  }

  /** Stops every member (SIGTERM, then SIGKILL after 3 s) and resolves when all have exited. */
  async close(): Promise<void> {
    this.#closing = true;
    const exits: Promise<unknown>[] = [];
    for (const slot of this.#slots) {
      clearTimeout(slot.timer);
      const child = slot.child;
      if (child === undefined) continue;
      exits.push(exited(child));
      child.kill('SIGTERM');
      const force = setTimeout(() => child.kill('SIGKILL'), 3000);
      void exited(child).then(() => clearTimeout(force));
    }
    await Promise.all(exits);
    this.#options.logger.log('info', 'swarm: stopped', { members: exits.length });
  }

  get #killRatio(): number {
    return this.#options.killRatio ?? 0.35;
  }

  #join(slot: Slot): void {
    if (this.#closing) return;
    const { name, role } = slot.crew;
    const child = spawn(
      process.execPath,
      [MEMBER_SCRIPT, '--url', typeof this.#options.url === 'string' ? this.#options.url : this.#options.url.join(','), '--name', name, '--role', role, '--log-every', String(this.#options.memberLogEvery ?? 20)],
      // The IPC channel is the member's lifeline: if this process dies, the member exits too.
      { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
    );
    slot.child = child;
    slot.joinedAt = Date.now();
    this.#options.logger.log('info', `swarm: ${name} joins`, { pid: child.pid, online: `${this.online().length}/${this.#slots.length}` });
    child.on('error', (error) => this.#options.logger.log('error', `swarm: ${name} could not start`, { error: error.message }));
    child.on('exit', (code, signal) => {
      slot.child = undefined;
      clearTimeout(slot.timer);
      this.#options.logger.log('info', `swarm: ${name} exited`, {
        code: code ?? undefined,
        signal: signal ?? undefined,
        stayed: `${((Date.now() - slot.joinedAt) / 1000).toFixed(1)}s`,
        online: `${this.online().length}/${this.#slots.length}`,
      });
      if (!this.#closing) this.#schedule(slot, () => this.#join(slot), this.#between(this.#options.offlineMs ?? [1500, 8000]));
    });
    this.#schedule(slot, () => this.#leave(slot), this.#between(this.#options.onlineMs ?? [4000, 15_000]));
  }

  #leave(slot: Slot): void {
    const child = slot.child;
    if (child === undefined || this.#closing) return;
    const abrupt = this.#random() < this.#killRatio;
    this.#options.logger.log('info', abrupt ? `swarm: ${slot.crew.name} is killed (SIGKILL)` : `swarm: ${slot.crew.name} leaves cleanly (SIGTERM)`, {
      pid: child.pid,
    });
    child.kill(abrupt ? 'SIGKILL' : 'SIGTERM');
  }

  #schedule(slot: Slot, action: () => void, delayMs: number): void {
    clearTimeout(slot.timer);
    slot.timer = setTimeout(action, delayMs);
  }

  #between([min, max]: readonly [number, number]): number {
    return Math.round(min + this.#random() * (max - min));
  }
}

/** Resolves when the child has exited (at once if it already has). */
function exited(child: ChildProcess): Promise<unknown> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : once(child, 'exit');
}
