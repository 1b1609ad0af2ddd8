import { describe, expect, it, vi } from 'vitest';
import { rejection } from '@herald/testkit';
import { AsyncQueue } from './async-queue.js';

const done = { value: undefined, done: true };
const item = <T>(value: T) => ({ value, done: false });
const noOverflow = (): unknown => {
  throw new Error('this push must not overflow');
};

describe('AsyncQueue', () => {
  it('yields pushed items in FIFO order', async () => {
    const queue = new AsyncQueue<number>(10, () => {});
    for (const n of [3, 1, 2]) queue.push(n, noOverflow);
    expect(await queue.next()).toStrictEqual(item(3));
    expect(await queue.next()).toStrictEqual(item(1));
    expect(await queue.next()).toStrictEqual(item(2));
  });

  it('resolves a waiting consumer with the next push, in order for several waiters', async () => {
    const queue = new AsyncQueue<string>(10, () => {});
    const first = queue.next();
    const second = queue.next();
    queue.push('a', noOverflow);
    queue.push('b', noOverflow);
    queue.push('c', noOverflow);
    expect(await first).toStrictEqual(item('a'));
    expect(await second).toStrictEqual(item('b'));
    expect(await queue.next()).toStrictEqual(item('c'));
  });

  it('items handed to a waiting consumer do not count against the limit', async () => {
    const queue = new AsyncQueue<number>(1, () => {});
    const waiting = queue.next();
    queue.push(1, noOverflow); // to the waiter
    queue.push(2, noOverflow); // buffered: 1 of 1
    expect(await waiting).toStrictEqual(item(1));
    expect(await queue.next()).toStrictEqual(item(2));
  });

  it('end() lets buffered items drain, then reports done (and keeps reporting it)', async () => {
    const queue = new AsyncQueue<number>(10, () => {});
    queue.push(1, noOverflow);
    queue.push(2, noOverflow);
    queue.end();
    expect(await queue.next()).toStrictEqual(item(1));
    expect(await queue.next()).toStrictEqual(item(2));
    expect(await queue.next()).toStrictEqual(done);
    expect(await queue.next()).toStrictEqual(done);
  });

  it('end() resolves a waiting consumer with done', async () => {
    const queue = new AsyncQueue<number>(10, () => {});
    const waiting = queue.next();
    queue.end();
    expect(await waiting).toStrictEqual(done);
  });

  it('ignores pushes after end()', async () => {
    const queue = new AsyncQueue<number>(10, () => {});
    queue.end();
    queue.push(1, noOverflow);
    expect(await queue.next()).toStrictEqual(done);
  });

  it('end(error) throws once after the buffered items, then reports done', async () => {
    const queue = new AsyncQueue<number>(10, () => {});
    const error = new Error('boom');
    queue.push(1, noOverflow);
    queue.push(2, noOverflow);
    queue.end(error);
    expect(await queue.next()).toStrictEqual(item(1));
    expect(await queue.next()).toStrictEqual(item(2));
    expect(await rejection(queue.next())).toBe(error);
    expect(await queue.next()).toStrictEqual(done);
    expect(await queue.next()).toStrictEqual(done);
  });

  it('end(error) rejects a waiting consumer, and the next read reports done (thrown once)', async () => {
    const queue = new AsyncQueue<number>(10, () => {});
    const error = new Error('boom');
    const waiting = queue.next();
    queue.end(error);
    expect(await rejection(waiting)).toBe(error);
    expect(await queue.next()).toStrictEqual(done);
  });

  it('a second end() changes nothing: the first ending wins', async () => {
    const queue = new AsyncQueue<number>(10, () => {});
    queue.end();
    queue.end(new Error('late'));
    expect(await queue.next()).toStrictEqual(done);
  });

  it('overflow ends the queue with the overflow error after the buffered items', async () => {
    const queue = new AsyncQueue<number>(2, () => {});
    const overflowError = new Error('overflow');
    const overflow = vi.fn(() => overflowError);
    queue.push(1, overflow);
    queue.push(2, overflow);
    expect(overflow).not.toHaveBeenCalled();
    queue.push(3, overflow); // past the limit: ends the queue, 3 is not buffered
    queue.push(4, overflow); // ended: ignored
    expect(overflow).toHaveBeenCalledTimes(1);
    expect(await queue.next()).toStrictEqual(item(1));
    expect(await queue.next()).toStrictEqual(item(2));
    expect(await rejection(queue.next())).toBe(overflowError);
    expect(await queue.next()).toStrictEqual(done);
  });

  it('return() discards buffered items, calls onReturn once and finishes', async () => {
    const onReturn = vi.fn();
    const queue = new AsyncQueue<number>(10, onReturn);
    queue.push(1, noOverflow);
    queue.push(2, noOverflow);
    expect(await queue.return()).toStrictEqual(done);
    expect(onReturn).toHaveBeenCalledTimes(1);
    expect(await queue.next()).toStrictEqual(done);
    queue.push(3, noOverflow);
    expect(await queue.next()).toStrictEqual(done);
  });

  it('return() resolves a waiting consumer with done', async () => {
    const onReturn = vi.fn();
    const queue = new AsyncQueue<number>(10, onReturn);
    const waiting = queue.next();
    await queue.return();
    expect(await waiting).toStrictEqual(done);
    expect(onReturn).toHaveBeenCalledTimes(1);
  });

  it('works with for await, and break calls onReturn', async () => {
    const onReturn = vi.fn();
    const queue = new AsyncQueue<number>(10, onReturn);
    for (const n of [1, 2, 3, 4]) queue.push(n, noOverflow);
    const seen: number[] = [];
    for await (const n of queue) {
      seen.push(n);
      if (n === 3) break;
    }
    expect(seen).toStrictEqual([1, 2, 3]);
    expect(onReturn).toHaveBeenCalledTimes(1);
    expect(await queue.next()).toStrictEqual(done);
  });
});
