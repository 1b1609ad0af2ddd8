/** A promise with its resolve and reject exposed. */
export interface Deferred<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Resolves with the listener arguments of the next `event` that passes `filter`. */
export function nextEvent<A extends unknown[]>(
  on: (listener: (...args: A) => void) => () => void,
  filter: (...args: A) => boolean = () => true,
): Promise<A> {
  return new Promise((resolve) => {
    const off = on((...args) => {
      if (!filter(...args)) return;
      off();
      resolve(args);
    });
  });
}
