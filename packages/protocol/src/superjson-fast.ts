/**
 * The superjson codec's fast paths, for builds that run them (Node, Deno, Bun and every other
 * runtime without the `browser` condition): the rich-value encoder, the decoder of common payloads
 * and the annotation applier.
 * Browser builds resolve `#superjson-fast` to superjson-fast.browser.ts instead (package.json
 * `imports`), which leaves them out: a page then encodes with `instance.stringify` and decodes
 * with the guard and `instance.deserialize`, the library's own path, and saves ~1.4 KB.
 */
export { decodeCommon } from './superjson-fast-decode.js';
export { encodeRich } from './superjson-fast-encode.js';
export { untransformer } from './superjson-untransform.js';
