/**
 * What a value a request handler threw becomes on the wire: shared by the router's in-process
 * handlers and the client's (handlers.ts). A module of its own, importing nothing: the client's
 * handlers load on first use, and a module they shared with the page (errors.ts) would make the
 * bundler move it to a third chunk; this one only goes where the handlers go.
 */
/** What a value thrown by a request handler becomes on the wire. */
export interface HandlerFailure {
  code: string;
  message: string;
  data?: unknown;
  stack?: string;
}

const CODE = /^[A-Z][A-Z0-9_]*$/;

/**
 * Describes a value a handler threw: its own `code` when that is UPPER_SNAKE (a RemoteError, or any
 * error with such a `code`), otherwise `HANDLER_ERROR`; its `message`, `data` and `stack`.
 */
export function handlerFailure(error: unknown): HandlerFailure {
  const fields = (typeof error === 'object' && error !== null ? error : {}) as Record<string, unknown>;
  const failure: HandlerFailure = {
    code: typeof fields.code === 'string' && CODE.test(fields.code) ? fields.code : 'HANDLER_ERROR',
    message: typeof fields.message === 'string' ? fields.message : String(error),
  };
  if (fields.data !== undefined) failure.data = fields.data;
  if (typeof fields.stack === 'string') failure.stack = fields.stack;
  return failure;
}
