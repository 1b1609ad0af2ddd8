import type { BenchPayload } from './systems/system.js';

/** Wall time in milliseconds with sub-millisecond precision, comparable across processes on one machine. */
export function wallNow(): number {
  return performance.timeOrigin + performance.now();
}

const ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ';
const paddings = new Map<number, string>();

/**
 * The padding text that makes a payload's plain JSON (`JSON.stringify`) about `size` bytes:
 * seq, sentAt and a Date take about 80 bytes, the text the rest.
 */
function paddingFor(size: number): string {
  let text = paddings.get(size);
  if (text === undefined) {
    const overhead = JSON.stringify({ seq: 1_000_000, sentAt: 1_795_341_600_000.123, at: new Date(0), text: '' }).length;
    const length = Math.max(0, size - overhead);
    text = ALPHABET.repeat(Math.ceil(length / ALPHABET.length)).slice(0, length);
    paddings.set(size, text);
  }
  return text;
}

/** The message published as number `seq`, stamped now. */
export function makePayload(seq: number, size: number): BenchPayload {
  return { seq, sentAt: wallNow(), at: new Date(), text: paddingFor(size) };
}
