/**
 * The superjson codec's fast paths, for builds that run them (Node, Deno, Bun and every other
 * runtime without the `browser` condition): the rich-value encoder, the decoders of plain and
 * common payloads, the annotation applier, and the fast walk over JSON (nesting, prototype keys).
 * Browser builds resolve `#superjson-fast` to superjson-fast.browser.ts instead (package.json
 * `imports`), which leaves them out: a page then encodes with `instance.stringify` and decodes
 * with the guard and `instance.deserialize`, the library's own path, and saves ~1.4 KB.
 */
export { decodeCommon, decodePlainText } from './superjson-fast-decode.js';
export { jsonNestsTooDeepOrHasPrototypeKey } from './payload-guard.js';
export { encodeRich } from './superjson-fast-encode.js';
export { untransformer } from './superjson-untransform.js';
