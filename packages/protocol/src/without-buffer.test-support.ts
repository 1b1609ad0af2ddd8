/**
 * For tests: a module loaded as a browser build loads it, with no `Buffer`, so that it takes its
 * atob/btoa path (base64.ts and the modules on it test both paths). A test-support file: the
 * package's build and its published files leave it out, as they leave out the tests.
 */
import { vi } from 'vitest';

/** Loads a fresh copy of a module (`() => import('./base64.js')`) while `Buffer` is undefined. */
export async function withoutBuffer<T>(load: () => Promise<T>): Promise<T> {
  vi.resetModules();
  vi.stubGlobal('Buffer', undefined);
  try {
    return await load();
  } finally {
    vi.unstubAllGlobals();
  }
}
