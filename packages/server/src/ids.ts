import { randomFillSync } from 'node:crypto';

const ID_BYTES = 9;
/** base64url characters per id: 9 bytes are exactly 12 characters, so ids never share one. */
const ID_CHARS = (ID_BYTES / 3) * 4;
const IDS_PER_DRAW = 512;
/** Random bytes for 512 ids, drawn at once: one call to the CSPRNG costs about as much as its bytes. */
const pool = Buffer.alloc(ID_BYTES * IDS_PER_DRAW);
/** The pool as base64url, encoded once per draw; each id is a 12-character slice of it. */
let text = '';
let next = IDS_PER_DRAW;

/** A random, URL-safe id: 12 characters, 72 bits. */
export function randomId(): string {
  if (next === IDS_PER_DRAW) {
    randomFillSync(pool);
    text = pool.toString('base64url');
    next = 0;
  }
  const start = next++ * ID_CHARS;
  // Copied out (V8 copies slices this short), so that an id does not keep the whole text alive.
  return text.slice(start, start + ID_CHARS);
}
