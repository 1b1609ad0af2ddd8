/**
 * What every child process does to stop by itself: exit when the orchestrator goes away (the IPC
 * channel closes), after a hard lifetime limit, and on any uncaught error (reported first).
 */

export interface ChildChannel<Out, In> {
  send(message: Out): void;
  onMessage(handler: (message: In) => void | Promise<void>): void;
}

export function startChild<Out extends { type: string }, In>(label: string): ChildChannel<Out | { type: 'error'; message: string }, In> {
  if (process.send === undefined) {
    console.error(`${label}: run me through the bench orchestrator (dist/main.js), not directly`);
    process.exit(2);
  }
  const lifetimeMs = Number(process.env.HERALD_BENCH_CHILD_LIFETIME_MS ?? 15 * 60_000);
  setTimeout(() => {
    console.error(`${label}: lifetime of ${lifetimeMs} ms exceeded, exiting`);
    process.exit(3);
  }, lifetimeMs).unref();
  process.on('disconnect', () => process.exit(0));
  const send = (message: Out | { type: 'error'; message: string }): void => {
    if (process.connected) process.send!(message);
  };
  const fail = (error: unknown): void => {
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    console.error(`${label}: ${message}`);
    send({ type: 'error', message: `${label}: ${error instanceof Error ? error.message : String(error)}` });
    setTimeout(() => process.exit(1), 100).unref();
  };
  process.on('uncaughtException', fail);
  process.on('unhandledRejection', fail);
  return {
    send,
    onMessage(handler) {
      process.on('message', (message: In) => {
        Promise.resolve()
          .then(() => handler(message))
          .catch(fail);
      });
    },
  };
}
