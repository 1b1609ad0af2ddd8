/**
 * The superjson codec as production browser builds have it (package.json `imports`:
 * `#superjson-fast` resolves to superjson-fast.browser.ts, no fast paths; `#verbose-errors` is
 * false, short messages; `#node-buffer` has no Buffer, so base64 goes through `btoa`/`atob`):
 * the same tests, the same bytes and values, with superjson's `stringify` and the guard plus
 * `deserialize` doing all the work.
 */
import { expect, it, vi } from 'vitest';
import * as fast from '#superjson-fast';

vi.mock('#superjson-fast', () => import('./superjson-fast.browser.js'));
vi.mock('#verbose-errors', () => ({ VERBOSE_ERRORS: false }));
vi.mock('#node-buffer', () => import('./node-buffer.browser.js'));

it('runs without the fast paths', () => {
  expect(fast.encodeRich).toBeUndefined();
  expect(fast.untransformer).toBeUndefined();
  expect(fast.decodeCommon).toBeUndefined();
  expect(fast.decodePlainText).toBeUndefined();
});

// Every test of the codec, on the browser build.
await import('./superjson-codec.test.js');
await import('./codec-untrusted.test.js');
await import('./superjson-fast-decode.test.js');
await import('./superjson-guard.test.js');
