import { randomBytes } from 'node:crypto';

/** A random, URL-safe id: 12 characters, 72 bits. */
export function randomId(): string {
  return randomBytes(9).toString('base64url');
}
