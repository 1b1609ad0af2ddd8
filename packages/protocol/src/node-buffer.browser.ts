/** Browser builds: no `Buffer` (see node-buffer.ts); base64.ts uses `btoa` and `atob`. */
import type { BufferClass } from './node-buffer.js';

export const NodeBuffer: BufferClass | undefined = undefined;
