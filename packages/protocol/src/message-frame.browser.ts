/**
 * Browser builds have no fast path for `message` headers (see message-frame.ts): every frame goes
 * through the general decoder, which keeps pages small (the size budget of issues 6 and 11).
 */
import type * as fast from './message-frame.js';

/** None in browsers: `decodeServerFrame` parses every header. */
export const readMessageFrame: typeof fast.readMessageFrame | undefined = undefined;
