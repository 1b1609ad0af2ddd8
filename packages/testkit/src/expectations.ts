/** Small assertions and recorders the suites share: await what you expect, never sleep. */
import type { ClientInfo, DisconnectDetail } from '@herald/server';
import { expect } from 'vitest';
import { type Deferred, deferred } from './deferred.js';

/** The error a promise rejects with; fails the test if it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

/** What `make` throws, or undefined when it returns: the synchronous twin of {@link rejection}. */
export function thrown(make: () => unknown): unknown {
  try {
    make();
  } catch (error) {
    return error;
  }
  return undefined;
}

/** A promise's outcome, observable without awaiting it: whether it settled, and its rejection. */
export function track<T>(promise: Promise<T>): { settled: () => boolean; rejection: Promise<unknown> } {
  let settled = false;
  const rejected = rejection(promise).finally(() => (settled = true));
  return { settled: () => settled, rejection: rejected };
}

/** Asserts `error` is an instance of `type` with `code`, and returns it typed. */
export function expectError<E extends Error & { code: string }>(error: unknown, type: abstract new (...args: never[]) => E, code: string): E {
  expect(error).toBeInstanceOf(type);
  expect((error as E).code).toBe(code);
  return error as E;
}

/** Values pushed by a listener; `until(n)` resolves once there are n of them. */
export class Log<T> {
  readonly values: T[] = [];
  readonly #waiters: Array<{ n: number; reached: Deferred<T[]> }> = [];

  readonly push = (value: T): void => {
    this.values.push(value);
    for (const waiter of [...this.#waiters]) {
      if (this.values.length < waiter.n) continue;
      this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
      waiter.reached.resolve(this.values);
    }
  };

  until(n: number): Promise<T[]> {
    if (this.values.length >= n) return Promise.resolve(this.values);
    const reached = deferred<T[]>();
    this.#waiters.push({ n, reached });
    return reached.promise;
  }
}

/** Anything with the client's `statechange` event (structural, so source and built clients fit). */
interface StateEvents<C extends { to: string }> {
  on(event: 'statechange', listener: (change: C) => void): () => void;
}

/** The client's next state change to `to`. */
export function reachState<C extends { to: string }>(client: StateEvents<C>, to: C['to']): Promise<C> {
  return new Promise((resolve) => {
    const off = client.on('statechange', (change) => {
      if (change.to !== to) return;
      off();
      resolve(change);
    });
  });
}

/** Anything with the router's `disconnect` event (structural, so source and built routers fit). */
interface DisconnectEvents {
  on(event: 'disconnect', listener: (client: ClientInfo, detail: DisconnectDetail) => void): () => void;
}

/** The router's next `disconnect` event for the client named `name`. */
export function disconnectOf(router: DisconnectEvents, name: string): Promise<[ClientInfo, DisconnectDetail]> {
  return new Promise((resolve) => {
    const off = router.on('disconnect', (client, detail) => {
      if (client.name !== name) return;
      off();
      resolve([client, detail]);
    });
  });
}
