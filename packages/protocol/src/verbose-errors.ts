/**
 * Whether Herald's errors carry their full, explanatory messages. Always true in Node, Deno and
 * Bun (and so on every router). Browser builds resolve `#verbose-errors` to
 * verbose-errors.browser.ts (package.json `imports`): there it is true unless
 * `process.env.NODE_ENV` is `production`, which bundlers replace in production builds, so that a
 * production page carries no message texts (React's approach). Every error still has its `code`,
 * and its message then is the code and a short subject (a method, a URL...). Match on `code`.
 */
export const VERBOSE_ERRORS: boolean = true;
