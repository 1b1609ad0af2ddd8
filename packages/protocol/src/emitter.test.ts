import { describe, expect, it } from 'vitest';
import { Emitter } from './emitter.js';

type Events = {
  data: (value: number, label: string) => void;
  done: () => void;
};

/** Exposes `emit` and records what `listenerFailed` receives. */
class TestEmitter extends Emitter<Events> {
  readonly failures: Array<[event: keyof Events, error: unknown]> = [];

  fire<K extends keyof Events>(event: K, ...args: Parameters<Events[K]>): void {
    this.emit(event, ...args);
  }

  clear(): void {
    this.removeAllListeners();
  }

  protected override listenerFailed(event: keyof Events, error: unknown): void {
    this.failures.push([event, error]);
  }
}

describe('Emitter', () => {
  it('calls listeners with the emitted arguments, in the order they were added', () => {
    const emitter = new TestEmitter();
    const calls: string[] = [];
    emitter.on('data', (value, label) => calls.push(`first ${value} ${label}`));
    emitter.on('data', (value, label) => calls.push(`second ${value} ${label}`));
    emitter.on('done', () => calls.push('done'));
    emitter.fire('data', 1, 'a');
    emitter.fire('done');
    emitter.fire('data', 2, 'b');
    expect(calls).toStrictEqual(['first 1 a', 'second 1 a', 'done', 'first 2 b', 'second 2 b']);
  });

  it('emitting an event without listeners does nothing', () => {
    const emitter = new TestEmitter();
    expect(() => emitter.fire('done')).not.toThrow();
    expect(emitter.failures).toStrictEqual([]);
  });

  it('counts listeners per event; the same function added twice counts once', () => {
    const emitter = new TestEmitter();
    const listener = (): void => {};
    expect(emitter.listenerCount('done')).toBe(0);
    emitter.on('done', listener);
    emitter.on('done', listener);
    emitter.on('done', () => {});
    emitter.on('data', () => {});
    expect(emitter.listenerCount('done')).toBe(2);
    expect(emitter.listenerCount('data')).toBe(1);
  });

  it('off removes only the given listener', () => {
    const emitter = new TestEmitter();
    const calls: string[] = [];
    const a = (): void => void calls.push('a');
    const b = (): void => void calls.push('b');
    emitter.on('done', a);
    emitter.on('done', b);
    emitter.off('done', a);
    emitter.off('done', () => {}); // unknown listener: no effect
    emitter.fire('done');
    expect(calls).toStrictEqual(['b']);
    expect(emitter.listenerCount('done')).toBe(1);
  });

  it('the function returned by on removes the listener, and calling it again is harmless', () => {
    const emitter = new TestEmitter();
    const calls: number[] = [];
    const off = emitter.on('data', (value) => calls.push(value));
    emitter.fire('data', 1, '');
    off();
    off();
    emitter.fire('data', 2, '');
    expect(calls).toStrictEqual([1]);
    expect(emitter.listenerCount('data')).toBe(0);
  });

  it('once calls its listener a single time, then removes it', () => {
    const emitter = new TestEmitter();
    const calls: number[] = [];
    emitter.once('data', (value) => calls.push(value));
    expect(emitter.listenerCount('data')).toBe(1);
    emitter.fire('data', 1, '');
    emitter.fire('data', 2, '');
    expect(calls).toStrictEqual([1]);
    expect(emitter.listenerCount('data')).toBe(0);
  });

  it('once is removed before its listener runs, so re-emitting from it does not call it again', () => {
    const emitter = new TestEmitter();
    const calls: number[] = [];
    emitter.once('data', (value) => {
      calls.push(value);
      emitter.fire('data', value + 1, 'nested');
    });
    emitter.fire('data', 1, '');
    expect(calls).toStrictEqual([1]);
  });

  it('the function returned by once removes it before it fires', () => {
    const emitter = new TestEmitter();
    const calls: string[] = [];
    const off = emitter.once('done', () => calls.push('once'));
    off();
    emitter.fire('done');
    expect(calls).toStrictEqual([]);
    expect(emitter.listenerCount('done')).toBe(0);
  });

  it('keeps the order of on and once listeners together', () => {
    const emitter = new TestEmitter();
    const calls: string[] = [];
    emitter.on('done', () => calls.push('on 1'));
    emitter.once('done', () => calls.push('once'));
    emitter.on('done', () => calls.push('on 2'));
    emitter.fire('done');
    emitter.fire('done');
    expect(calls).toStrictEqual(['on 1', 'once', 'on 2', 'on 1', 'on 2']);
  });

  it('a listener added while emitting runs from the next emit on', () => {
    const emitter = new TestEmitter();
    const calls: string[] = [];
    emitter.on('done', () => {
      calls.push('outer');
      if (emitter.listenerCount('done') === 1) emitter.on('done', () => calls.push('added'));
    });
    emitter.fire('done');
    expect(calls).toStrictEqual(['outer']);
    emitter.fire('done');
    expect(calls).toStrictEqual(['outer', 'outer', 'added']);
  });

  it('a throwing listener does not stop later listeners; its error goes to listenerFailed', () => {
    const emitter = new TestEmitter();
    const calls: string[] = [];
    const boom = new Error('boom');
    emitter.on('data', () => calls.push('before'));
    emitter.on('data', () => {
      throw boom;
    });
    emitter.on('data', () => {
      throw 'not an Error';
    });
    emitter.on('data', () => calls.push('after'));
    expect(() => emitter.fire('data', 1, '')).not.toThrow();
    expect(calls).toStrictEqual(['before', 'after']);
    expect(emitter.failures).toStrictEqual([
      ['data', boom],
      ['data', 'not an Error'],
    ]);
    expect(emitter.failures[0]?.[1]).toBe(boom);
  });

  it('a throwing once listener is still removed', () => {
    const emitter = new TestEmitter();
    emitter.once('done', () => {
      throw new Error('once');
    });
    emitter.fire('done');
    emitter.fire('done');
    expect(emitter.failures).toHaveLength(1);
    expect(emitter.listenerCount('done')).toBe(0);
  });

  it('removeAllListeners removes every listener of every event', () => {
    const emitter = new TestEmitter();
    const calls: string[] = [];
    emitter.on('done', () => calls.push('done'));
    emitter.on('data', () => calls.push('data'));
    emitter.clear();
    emitter.fire('done');
    emitter.fire('data', 1, '');
    expect(calls).toStrictEqual([]);
    expect([emitter.listenerCount('done'), emitter.listenerCount('data')]).toStrictEqual([0, 0]);
  });
});
