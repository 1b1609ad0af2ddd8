import { randomFillSync } from 'node:crypto';

const ID_BYTES = 9;
/** Random bytes for 512 ids, drawn at once: one call to the CSPRNG costs about as much as its bytes. */
const pool = Buffer.alloc(ID_BYTES * 512);
let next = pool.length;

/** A random, URL-safe id: 12 characters, 72 bits. */
export function randomId(): string {
  if (next === pool.length) {
    randomFillSync(pool);
    next = 0;
  }
  next += ID_BYTES;
  return pool.toString('base64url', next - ID_BYTES, next);
}
