/**
 * The last part of a child process's output, kept for error messages (redis-server's "exited"
 * error): a process that runs for a whole demo or test run writes for hours, so only the newest
 * `maxBytes` are kept, whole lines where possible.
 */

/** Default bound of an {@link OutputTail}: 64 KiB. */
export const OUTPUT_TAIL_BYTES = 64 * 1024;

/** Keeps at most `maxBytes` (UTF-16 code units, about bytes for a log's ASCII) of what it is fed: the newest. */
export class OutputTail {
  readonly maxBytes: number;
  #text = '';

  constructor(maxBytes = OUTPUT_TAIL_BYTES) {
    this.maxBytes = maxBytes;
  }

  /** Adds `chunk` at the end, dropping the oldest text past the bound (from a line start when one is in the dropped half). */
  push(chunk: string): void {
    this.#text += chunk;
    if (this.#text.length <= this.maxBytes) return;
    // Trimmed to half the bound, so that a long run trims once per maxBytes / 2 written, not per chunk.
    let start = this.#text.length - Math.floor(this.maxBytes / 2);
    const line = this.#text.indexOf('\n', start - 1);
    if (line !== -1 && line < this.#text.length - 1) start = line + 1;
    this.#text = this.#text.slice(start);
  }

  /** What is kept, oldest first. */
  toString(): string {
    return this.#text;
  }
}
