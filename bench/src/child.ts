/**
 * The orchestrator's handle on a child process: typed messages, waits that always time out, and
 * a registry that kills every child still alive when the orchestrator exits or is interrupted.
 */
import { type ChildProcess, fork } from 'node:child_process';

const live = new Set<ChildProcess>();

function killAll(): void {
  for (const child of live) child.kill('SIGKILL');
  live.clear();
}
process.on('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`\nbench: ${signal}, stopping the child processes`);
    killAll();
    process.exit(130);
  });
}

interface Waiter {
  type: string;
  resolve: (message: never) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

export class Child<Command, Report extends { type: string }> {
  readonly #process: ChildProcess;
  readonly #label: string;
  readonly #queued: Report[] = [];
  readonly #waiters = new Set<Waiter>();
  readonly #listeners = new Map<string, (message: Report) => void>();
  readonly exited: Promise<number | null>;
  #failure: Error | undefined;

  constructor(label: string, script: URL, args: string[], execArgv: string[] = []) {
    this.#label = label;
    this.#process = fork(script, args, {
      execArgv,
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    live.add(this.#process);
    this.exited = new Promise((resolve) => {
      this.#process.once('exit', (code, signal) => {
        live.delete(this.#process);
        this.#fail(new Error(`${label} exited (${signal ?? `code ${code}`})`));
        resolve(code);
      });
    });
    this.#process.on('error', (error) => this.#fail(error));
    this.#process.on('message', (message: Report) => this.#onMessage(message));
  }

  get pid(): number | undefined {
    return this.#process.pid;
  }

  send(command: Command): void {
    if (this.#process.connected) this.#process.send(command as object);
  }

  /** Handles every message of `type` from now on (streams such as progress reports). */
  on<T extends Report['type']>(type: T, listener: (message: Extract<Report, { type: T }>) => void): void {
    this.#listeners.set(type, listener as (message: Report) => void);
  }

  /** The next message of `type` (or one that already arrived); rejects on an error report, exit or timeout. */
  next<T extends Report['type']>(type: T, timeoutMs: number): Promise<Extract<Report, { type: T }>> {
    const index = this.#queued.findIndex((message) => message.type === type);
    if (index !== -1) return Promise.resolve(this.#queued.splice(index, 1)[0] as Extract<Report, { type: T }>);
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        type,
        resolve: resolve as (message: never) => void,
        reject,
        timer: setTimeout(() => {
          this.#waiters.delete(waiter);
          reject(new Error(`${this.#label}: no "${type}" within ${Math.round(timeoutMs)} ms`));
        }, timeoutMs),
      };
      this.#waiters.add(waiter);
    });
  }

  /** Asks the child to stop, then kills it if it has not exited within `timeoutMs`. */
  async stop(timeoutMs = 5000): Promise<void> {
    if (!live.has(this.#process)) return;
    this.send({ type: 'stop' } as Command);
    const timer = setTimeout(() => this.#process.kill('SIGKILL'), timeoutMs);
    await this.exited;
    clearTimeout(timer);
  }

  #onMessage(message: Report): void {
    if (message.type === 'error') {
      this.#fail(new Error((message as unknown as { message: string }).message));
      return;
    }
    const listener = this.#listeners.get(message.type);
    if (listener !== undefined) return listener(message);
    for (const waiter of this.#waiters) {
      if (waiter.type !== message.type) continue;
      this.#waiters.delete(waiter);
      clearTimeout(waiter.timer);
      waiter.resolve(message as never);
      return;
    }
    this.#queued.push(message);
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    for (const waiter of this.#waiters) {
      clearTimeout(waiter.timer);
      waiter.reject(error);
    }
    this.#waiters.clear();
  }
}
