import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OUTPUT_TAIL_BYTES, OutputTail } from './output-tail.js';

describe('OutputTail', () => {
  it('keeps everything under its bound', () => {
    const tail = new OutputTail(100);
    tail.push('one\n');
    tail.push('two\n');
    expect(tail.toString()).toBe('one\ntwo\n');
  });

  it('keeps the newest whole lines once past its bound', () => {
    const tail = new OutputTail(20);
    for (let i = 0; i < 10; i++) tail.push(`line ${i}\n`);
    const kept = tail.toString();
    expect(kept.length).toBeLessThanOrEqual(20);
    expect(kept.endsWith('line 9\n')).toBe(true);
    expect(kept.split('\n').slice(0, -1).every((line) => /^line \d$/.test(line))).toBe(true);
  });

  it('bounds a long run of output at 64 KiB by default, keeping its end', () => {
    const tail = new OutputTail();
    const line = `${'x'.repeat(99)}\n`;
    for (let i = 0; i < 10_000; i++) tail.push(line); // ~1 MB written
    tail.push('the last words\n');
    expect(tail.toString().length).toBeLessThanOrEqual(OUTPUT_TAIL_BYTES);
    expect(tail.toString().endsWith(`${line}the last words\n`)).toBe(true);
  });

  it('never holds more than its bound and always ends with what was written last', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 64 }), fc.array(fc.string({ maxLength: 80 }), { maxLength: 50 }), (bound, chunks) => {
        const tail = new OutputTail(bound);
        for (const chunk of chunks) tail.push(chunk);
        const all = chunks.join('');
        const kept = tail.toString();
        expect(kept.length).toBeLessThanOrEqual(bound);
        expect(all.endsWith(kept)).toBe(true);
        // Nothing is lost while under the bound, and at least half the bound's newest text stays.
        expect(kept.length).toBeGreaterThanOrEqual(Math.min(all.length, Math.floor(bound / 2)));
      }),
    );
  });
});
