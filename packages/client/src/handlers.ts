/**
 * The client as a provider: the methods it handles and the requests it is serving. The router
 * sends `request` frames under ids of its own; the client answers `response` or `response_error`,
 * and aborts a handler's signal when the router sends `cancel` or the connection drops.
 */
// From the protocol at run time only handlerFailure (a module the page does not share, see
// handler-failure.ts); its other run-time values come through `io.lib` (see ClientCore).
import { type IncomingRequestMsg, type ResponseErrorMsg, handlerFailure } from '@herald/protocol';
import type { ClientCore } from './client-core.js';

/** What a request handler learns about its request. */
export interface RequestContext {
  method: string;
  /** Who asked: a client (`info` as it connected with), or the router. */
  caller: { id: string; name: string; info: unknown };
  /**
   * Aborts when the caller gives up, times out or drops, or this client disconnects. Its `reason` is
   * a `HeraldError` that says which: code `TIMEOUT` when the caller's timeout passed (the caller's
   * timer or the router's), `REQUEST_CANCELLED` when the caller cancelled or dropped (the message
   * names the wire reason), `CONNECTION_CLOSED` when this client lost its connection.
   */
  signal: AbortSignal;
}

export type RequestHandler<P = unknown, R = unknown> = (params: P, ctx: RequestContext) => R | Promise<R>;

/** A method this client handles, from `client.handle()`. */
export interface HandlerRegistration {
  readonly method: string;
  /** Stops handling the method; requests already being served still complete. */
  unregister(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** What a provider uses of the client. */
export type ProviderIO = Pick<ClientCore, 'codec' | 'lib' | 'frame' | 'send' | 'checkSize' | 'errorStacks' | 'report'>;

export class Provider {
  readonly #handlers = new Map<string, RequestHandler>();
  /** `handle()` calls waiting for the router to confirm their registration. */
  readonly #waiting = new Map<string, { resolve: () => void; reject: (error: unknown) => void }>();
  readonly #running = new Map<number, AbortController>();
  readonly #io: ProviderIO;

  constructor(io: ProviderIO) {
    this.#io = io;
  }

  has(method: string): boolean {
    return this.#handlers.has(method);
  }

  set(method: string, handler: RequestHandler): void {
    this.#handlers.set(method, handler);
  }

  delete(method: string): void {
    this.#handlers.delete(method);
  }

  /** Resolves once the router confirmed `method`; `send` sends the registration if it can now. */
  registered(method: string, send: () => unknown): Promise<void> {
    const confirmed = new Promise<void>((resolve, reject) => this.#waiting.set(method, { resolve, reject }));
    send();
    return confirmed;
  }

  confirmed(method: string): void {
    this.#waiting.get(method)?.resolve();
    this.#waiting.delete(method);
  }

  /** The router refused a registration (or the connection dropped before its reply). */
  refused(method: string, error: unknown): void {
    const waiter = this.#waiting.get(method);
    if (waiter === undefined) {
      // A registration sent again after a reconnect: report it unless the drop made it moot.
      if (!(error instanceof this.#io.lib.HeraldError && error.code === 'CONNECTION_CLOSED')) this.#io.report(error);
      return;
    }
    this.#waiting.delete(method);
    waiter.reject(error);
  }

  /** The client closed: registrations still waiting fail. */
  closed(error: unknown): void {
    for (const waiter of this.#waiting.values()) waiter.reject(error);
    this.#waiting.clear();
  }

  /** The methods handled, to register them again after a reconnect. */
  methods(): string[] {
    return [...this.#handlers.keys()];
  }

  onRequest(request: IncomingRequestMsg): void {
    const handler = this.#handlers.get(request.method);
    if (handler === undefined) {
      this.#fail(request.id, { code: 'NO_HANDLER', message: `this client no longer handles "${request.method}"` });
      return;
    }
    const { codec } = this.#io;
    const params = codec.decode(request.payload as string);
    if (!params.ok) {
      this.#fail(request.id, { code: params.error.code, message: params.error.message });
      return;
    }
    let info: unknown;
    if (request.caller.info !== undefined) {
      const decoded = codec.decode(request.caller.info);
      info = decoded.ok ? decoded.value : undefined;
    }
    const controller = new AbortController();
    this.#running.set(request.id, controller);
    const ctx: RequestContext = {
      method: request.method,
      caller: { id: request.caller.id, name: request.caller.name, info },
      signal: controller.signal,
    };
    Promise.resolve()
      .then(() => handler(params.value, ctx))
      .then(
        (result) => this.#reply(request.id, controller, result),
        (error: unknown) => {
          if (this.#running.get(request.id) !== controller) return;
          this.#running.delete(request.id);
          this.#fail(request.id, this.#failure(error));
        },
      );
  }

  onCancel(id: number, reason: string): void {
    const controller = this.#running.get(id);
    if (controller === undefined) return;
    this.#running.delete(id);
    const code = reason === 'timeout' ? 'TIMEOUT' : 'REQUEST_CANCELLED';
    controller.abort(new this.#io.lib.HeraldError(code, `the router cancelled the request (${reason})`));
  }

  /** Aborts every request being served (the connection dropped); their replies are dropped. */
  abortAll(): void {
    for (const controller of this.#running.values()) {
      controller.abort(new this.#io.lib.HeraldError('CONNECTION_CLOSED', 'the connection to the router closed'));
    }
    this.#running.clear();
  }

  #reply(id: number, controller: AbortController, result: unknown): void {
    if (this.#running.get(id) !== controller) return; // cancelled: the reply is dropped
    this.#running.delete(id);
    let frame: string;
    try {
      frame = this.#io.frame({ type: 'response', id, payload: this.#io.codec.encode(result) });
      this.#io.checkSize(frame); // PAYLOAD_TOO_LARGE past the router's maxPayload
    } catch (error) {
      const code = error instanceof this.#io.lib.HeraldError ? error.code : 'PAYLOAD_UNENCODABLE';
      this.#fail(id, { code, message: `the result cannot be sent: ${error instanceof Error ? error.message : String(error)}` });
      return;
    }
    this.#io.send(frame);
  }

  #failure(error: unknown): Omit<ResponseErrorMsg, 'type' | 'id'> {
    const { code, message, data, stack } = handlerFailure(error);
    const failure: Omit<ResponseErrorMsg, 'type' | 'id'> = { code, message };
    if (data !== undefined) {
      try {
        failure.data = this.#io.codec.encode(data);
      } catch (encodeError) {
        this.#io.report(encodeError); // the code and message still travel
      }
    }
    if (this.#io.errorStacks() && stack !== undefined) failure.stack = stack;
    return failure;
  }

  #fail(id: number, failure: Omit<ResponseErrorMsg, 'type' | 'id'>): void {
    this.#io.send(this.#io.frame({ type: 'response_error', id, ...failure }));
  }
}
