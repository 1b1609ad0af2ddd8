/**
 * Browser builds: full error messages except in production builds (see verbose-errors.ts).
 * Written so that a bundler that replaces `process.env.NODE_ENV` folds it to a constant and drops
 * the messages; a page loaded without a bundler (no `process`) gets the short ones.
 */
declare const process: { env: { NODE_ENV?: string } };

export const VERBOSE_ERRORS: boolean = (typeof process === 'undefined' ? 'production' : process.env.NODE_ENV) !== 'production';
