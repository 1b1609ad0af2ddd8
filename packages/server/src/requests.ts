/**
 * Routed request/reply (pysig's requests): callers and providers are connections or the router
 * itself. The router relays each request to one provider under an id of its own, and relays the
 * reply back under the caller's id. Requests are routed among the providers connected to this
 * router and, with an engine that routes (Redis), among the other routers' too; see PROTOCOL.md,
 * "Requests". Here: a request's lifecycle (dispatch to its provider, the reply or failure back to
 * its caller, cancel, timeout, a party gone) and its routing across routers. Who provides what is
 * in request-providers.ts, the table of requests in flight in in-flight.ts, the values they carry
 * in request-values.ts.
 */
import {
  CancelReason,
  type Codec,
  ErrorCode,
  HeraldError,
  type PeerRef,
  RemoteError,
  TimeoutError,
  handlerFailure,
  methodProblem,
} from '@herald/protocol';
import { checkCallOptions } from './call-options.js';
import type { Connection } from './connection.js';
import type { Engine, RoutedMessage } from './engine.js';
import type { Logger } from './logger.js';
import type { RouterObserver } from './observer.js';
import { type Caller, type InFlight, InFlightTable } from './in-flight.js';
import { type NodeProvider, type Provider, RequestProviders } from './request-providers.js';
import { type Carried, type Failure, asFailure, cancelled, portable, routedInfo, textIn, valueOf } from './request-values.js';

/** What a request handler learns about its request. */
export interface RequestContext {
  method: string;
  /** Who asked: a client, or the router itself (`router.request`). */
  caller: { id: string; name: string; user?: string; info: unknown };
  /** Aborts when the caller gives up, times out or drops; the reply is then dropped. */
  signal: AbortSignal;
}

export type RequestHandler = (params: unknown, ctx: RequestContext) => unknown;

export interface RequestOptions {
  /**
   * Milliseconds to wait for the reply, 0 to 2^53 - 1 (capped at the router's `maxRequestTimeoutMs`;
   * `OPTION_INVALID` for anything else). Default: the router's `requestTimeoutMs` (10,000).
   */
  timeout?: number;
  /** Cancels the request: it rejects with `REQUEST_CANCELLED` and the provider's signal aborts. */
  signal?: AbortSignal;
}

export interface RequestLimits {
  requestTimeoutMs: number;
  maxRequestTimeoutMs: number;
  maxPendingRequests: number;
  /** Most distinct methods handled by clients, over all connections. */
  maxMethods: number;
  exposeErrorStacks: boolean;
  validatePayloads: boolean;
}

/** What routing across routers needs (the end of this file): the engine and the codecs by name. */
export interface RequestCluster {
  engine: Engine;
  codec(name: string): Codec | undefined;
}

/**
 * Work counted by the request layer, so that tests can bound it by counts (issue #12: 200,000
 * methods made every unrelated disconnect walk them all, and each `list_methods` sort them).
 */
export interface RequestWork {
  /** Entries a disconnect visited: its own methods, its own requests and the requests it serves. */
  disconnectVisits: number;
  /** Times the sorted method list was built (once per change of the methods, not per `list_methods`). */
  methodListsBuilt: number;
}

export class Requests {
  /** The requests in flight, by key, caller, provider and calling node. */
  readonly #flights = new InFlightTable();
  /** Work counted for the bounds' tests (`router.stats().requestWork`). */
  readonly work: RequestWork = { disconnectVisits: 0, methodListsBuilt: 0 };
  /** Who provides each method (`handle`, `router.handle`, the cluster), and the pick of one. */
  readonly providers: RequestProviders;
  /**
   * Set by the hub when a contract is given: checks a result the router holds as a value (one a
   * local handler returned, or one decoded for `router.request`). Results relayed between clients
   * are not decoded, so not checked (PROTOCOL.md 9.1).
   */
  checkResult: ((method: string, value: unknown) => HeraldError | undefined | Promise<HeraldError | undefined>) | undefined;

  constructor(
    readonly routerPeer: PeerRef,
    readonly limits: RequestLimits,
    readonly logger: Logger,
    readonly observer: () => RouterObserver | undefined,
    readonly memberInfo: (connection: Connection, codec: Codec) => string | undefined,
  ) {
    this.providers = new RequestProviders(routerPeer, limits.maxMethods, logger, this.work);
  }

  /** Set by the hub when the engine routes requests across routers (the providers hold it). */
  get cluster(): RequestCluster | undefined {
    return this.providers.cluster;
  }

  set cluster(cluster: RequestCluster | undefined) {
    this.providers.cluster = cluster;
  }

  // ---- requests from connections ----

  /** A caller's request. Returns a coded refusal to send back, or undefined once dispatched. */
  request(connection: Connection, id: number, method: string, timeout: number | undefined, payload: string): HeraldError | undefined {
    const problem = methodProblem(method);
    if (problem !== undefined) return new HeraldError(ErrorCode.METHOD_INVALID, problem);
    let mine = this.#flights.byCaller.get(connection);
    if (mine?.has(id)) return new HeraldError(ErrorCode.PROTOCOL_INVALID_MESSAGE, `request ${id} is already in flight`);
    if ((mine?.size ?? 0) >= this.limits.maxPendingRequests) {
      return new HeraldError(ErrorCode.REQUEST_LIMIT, `at most ${this.limits.maxPendingRequests} requests in flight per connection`, { retryable: true });
    }
    if (this.limits.validatePayloads) {
      const invalid = connection.codec.check(payload);
      if (invalid !== undefined) return invalid;
    }
    const provider = this.providers.pick(method);
    if (provider === undefined) return new HeraldError(ErrorCode.NO_HANDLER, `nobody provides "${method}"`);
    if (mine === undefined) this.#flights.byCaller.set(connection, (mine = new Map()));
    const flight = this.#start(method, provider, { kind: 'connection', connection, id }, timeout);
    mine.set(id, flight);
    this.#dispatch(flight, { codec: connection.codec, text: payload }, connection.peer(), connection);
    return undefined;
  }

  /** The caller gave up on its request `id`: its own timer ran out (`reason` `timeout`), or it cancelled. */
  cancel(connection: Connection, id: number, reason?: string): void {
    const flight = this.#flights.byCaller.get(connection)?.get(id);
    if (flight === undefined) return;
    this.#flights.finish(flight);
    this.#cancelProvider(flight, reason === CancelReason.TIMEOUT ? CancelReason.TIMEOUT : CancelReason.CANCELLED);
  }

  /** A provider's result. */
  respond(connection: Connection, key: number, payload: string): void {
    const flight = this.#flightFrom(connection, key, 'response');
    if (flight === undefined) return;
    if (this.limits.validatePayloads) {
      const invalid = connection.codec.check(payload);
      if (invalid !== undefined) {
        connection.sendError(invalid.code, `the response to request ${key} was refused: ${invalid.message}`);
        this.#flights.finish(flight);
        this.#failCaller(flight, { code: invalid.code, message: `the provider sent an invalid result: ${invalid.message}` });
        return;
      }
    }
    this.#flights.finish(flight);
    this.#succeedCaller(flight, { codec: connection.codec, text: payload });
  }

  /** A provider's failure. */
  respondError(connection: Connection, key: number, failure: { code: string; message: string; data?: string; stack?: string }): void {
    const flight = this.#flightFrom(connection, key, 'response_error');
    if (flight === undefined) return;
    this.#flights.finish(flight);
    const data = failure.data !== undefined && connection.codec.check(failure.data) === undefined
      ? { codec: connection.codec, text: failure.data }
      : undefined;
    this.#failCaller(flight, { code: failure.code, message: failure.message, ...(data && { data }), ...(failure.stack !== undefined && { stack: failure.stack }) }, true);
  }

  /** A connection closed: its providers go, its requests end, requests it serves fail HANDLER_GONE. */
  closed(connection: Connection): void {
    this.providers.closed(connection);
    for (const flight of [...(this.#flights.byCaller.get(connection)?.values() ?? [])]) {
      this.work.disconnectVisits++;
      this.#flights.finish(flight);
      this.#cancelProvider(flight, CancelReason.CALLER_GONE);
    }
    this.#flights.byCaller.delete(connection);
    for (const flight of [...(this.#flights.servedBy.get(connection) ?? [])]) {
      this.work.disconnectVisits++;
      this.#flights.finish(flight);
      this.#failCaller(flight, { code: ErrorCode.HANDLER_GONE, message: `the provider of "${flight.method}" disconnected` });
    }
    this.#flights.servedBy.delete(connection);
  }

  // ---- requests from the router itself ----

  requestLocal(method: string, params: unknown, options: RequestOptions = {}): Promise<unknown> {
    const problem = methodProblem(method);
    if (problem !== undefined) return Promise.reject(new HeraldError(ErrorCode.METHOD_INVALID, problem));
    // A NaN or negative timeout would fire at once (a TIMEOUT nobody asked for).
    try {
      checkCallOptions('request', options);
    } catch (error) {
      return Promise.reject(error);
    }
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(cancelled(method, signal.reason));
    const provider = this.providers.pick(method);
    if (provider === undefined) return Promise.reject(new HeraldError(ErrorCode.NO_HANDLER, `nobody provides "${method}"`));
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        if (!this.#flights.byKey.has(flight.key)) return;
        this.#flights.finish(flight);
        this.#cancelProvider(flight, CancelReason.CANCELLED);
        reject(cancelled(method, signal?.reason));
      };
      const caller: Caller = {
        kind: 'local',
        resolve: (value) => (signal?.removeEventListener('abort', onAbort), resolve(value)),
        reject: (error) => (signal?.removeEventListener('abort', onAbort), reject(error)),
      };
      const flight = this.#start(method, provider, caller, options.timeout);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#dispatch(flight, { value: params }, { ...this.routerPeer }, undefined);
    });
  }

  // ---- internals ----

  #start(method: string, provider: Provider, caller: Caller, timeout: number | undefined): InFlight {
    const ms = Math.min(timeout ?? this.limits.requestTimeoutMs, this.limits.maxRequestTimeoutMs);
    const key = this.#flights.nextKey();
    const flight: InFlight = {
      key,
      method,
      provider,
      caller,
      timeoutMs: ms,
      abort: provider.kind === 'local' ? new AbortController() : undefined,
      startedAt: performance.now(),
      timer: setTimeout(() => {
        if (!this.#flights.byKey.has(key)) return;
        this.#flights.finish(flight);
        this.#cancelProvider(flight, CancelReason.TIMEOUT);
        this.#failCaller(flight, { code: ErrorCode.TIMEOUT, message: `no reply to "${method}" within ${ms} ms` });
      }, ms),
    };
    this.#flights.add(flight);
    return flight;
  }

  #dispatch(flight: InFlight, params: Carried, caller: PeerRef, callerConnection: Connection | undefined, remoteInfo?: { codec: string; text: string }): void {
    const { provider } = flight;
    if (provider.kind === 'node') {
      this.#dispatchToNode(flight, provider, params, caller, callerConnection);
      return;
    }
    if (provider.kind === 'connection') {
      const { codec } = provider.connection;
      let text: string;
      try {
        text = textIn(params, codec);
      } catch (error) {
        this.#flights.finish(flight);
        this.#failCaller(flight, asFailure(error, ErrorCode.PAYLOAD_UNENCODABLE));
        return;
      }
      const info = callerConnection !== undefined ? this.memberInfo(callerConnection, codec) : routedInfo(remoteInfo, codec, this.providers.cluster);
      provider.connection.sendMessage({
        type: 'request',
        id: flight.key,
        method: flight.method,
        caller: info === undefined ? caller : { ...caller, info },
        timeout: flight.timeoutMs,
        payload: text,
      });
      return;
    }
    const value = valueOf(params);
    if (!value.ok) {
      this.#flights.finish(flight);
      this.#failCaller(flight, { code: ErrorCode.PAYLOAD_INVALID, message: value.message });
      return;
    }
    const ctx: RequestContext = {
      method: flight.method,
      caller: { ...caller, info: callerConnection?.decodedInfo() },
      signal: flight.abort!.signal,
    };
    Promise.resolve()
      .then(() => provider.handler(value.value, ctx))
      .then(
        (result) => {
          if (!this.#flights.byKey.has(flight.key)) return; // timed out, cancelled or caller gone
          this.#flights.finish(flight);
          this.#succeedCaller(flight, { value: result });
        },
        (error: unknown) => {
          if (!this.#flights.byKey.has(flight.key)) return;
          this.#flights.finish(flight);
          const { data, ...failure } = handlerFailure(error);
          this.#failCaller(flight, data === undefined ? failure : { ...failure, data: { value: data } }, true);
        },
      );
  }

  #flightFrom(connection: Connection, key: number, what: string): InFlight | undefined {
    const flight = this.#flights.byKey.get(key);
    if (flight?.provider.kind === 'connection' && flight.provider.connection === connection) return flight;
    // A late reply (after a timeout or cancel), a second reply, or one from a party not asked.
    this.logger.log('debug', `dropped a ${what} for no request in flight`, { id: connection.id, name: connection.name, request: key });
    return undefined;
  }

  #cancelProvider(flight: InFlight, reason: CancelReason): void {
    if (flight.provider.kind === 'node') {
      this.#route(flight.provider.node, { type: 'cancel', key: flight.key, reason });
    } else if (flight.provider.kind === 'connection') {
      flight.provider.connection.sendMessage({ type: 'cancel', id: flight.key, reason });
    } else {
      flight.abort?.abort(new HeraldError(reason === CancelReason.TIMEOUT ? ErrorCode.TIMEOUT : ErrorCode.REQUEST_CANCELLED, `request ${reason}`));
    }
  }

  #succeedCaller(flight: InFlight, result: Carried): void {
    const check = this.checkResult;
    // Only a result the router holds as a value (a local handler's) or decodes anyway (for its own
    // router.request) is checked: nothing is decoded just to check it.
    if (check !== undefined && ('value' in result || flight.caller.kind === 'local')) {
      const value = valueOf(result);
      if (value.ok) {
        const refusal = check(flight.method, value.value);
        const settle = (error: HeraldError | undefined): void =>
          error === undefined ? this.#deliver(flight, result) : this.#failCaller(flight, { code: error.code, message: error.message });
        if (refusal instanceof Promise) {
          void refusal.then(settle, (cause: unknown) => this.#failCaller(flight, asFailure(cause, ErrorCode.INTERNAL_ERROR)));
        } else {
          settle(refusal);
        }
        return;
      }
    }
    this.#deliver(flight, result);
  }

  #deliver(flight: InFlight, result: Carried): void {
    const { caller } = flight;
    if (caller.kind === 'node') {
      this.#settled(flight, 'ok');
      const carried = portable(result, this.providers.cluster);
      if (carried === undefined) return this.#failCaller(flight, { code: ErrorCode.PAYLOAD_UNENCODABLE, message: 'the result cannot be encoded' }, true);
      this.#route(caller.node, { type: 'response', key: caller.key, codec: carried.codec, result: carried.text });
      return;
    }
    if (caller.kind === 'local') {
      this.#settled(flight, 'ok');
      const value = valueOf(result);
      if (value.ok) caller.resolve(value.value);
      else caller.reject(new HeraldError(ErrorCode.PAYLOAD_INVALID, value.message));
      return;
    }
    let text: string;
    try {
      text = textIn(result, caller.connection.codec);
    } catch (error) {
      this.#failCaller(flight, asFailure(error, ErrorCode.PAYLOAD_UNENCODABLE), true);
      return;
    }
    this.#settled(flight, 'ok');
    caller.connection.sendMessage({ type: 'response', id: caller.id, payload: text });
  }

  #settled(flight: InFlight, outcome: string): void {
    this.observer()?.requestSettled(outcome, (performance.now() - flight.startedAt) / 1000);
  }

  /** Fails the caller: `remote` failures (the handler's) as `response_error`, the router's as `error`. */
  #failCaller(flight: InFlight, failure: Failure, remote = false): void {
    this.#settled(flight, remote ? 'remote_error' : failure.code);
    const { caller } = flight;
    if (caller.kind === 'node') {
      // The caller's node decides what it exposes (stacks): the failure travels whole.
      const data = failure.data === undefined ? undefined : portable(failure.data, this.providers.cluster);
      this.#route(caller.node, {
        type: 'error',
        key: caller.key,
        code: failure.code,
        message: failure.message,
        remote,
        ...(data !== undefined && { data }),
        ...(failure.stack !== undefined && { stack: failure.stack }),
      });
      return;
    }
    const stack = this.limits.exposeErrorStacks ? failure.stack : undefined;
    if (caller.kind === 'local') {
      const data = failure.data === undefined ? undefined : valueOf(failure.data);
      caller.reject(
        remote
          ? new RemoteError(failure.code, failure.message, { data: data?.ok ? data.value : undefined, ...(stack !== undefined && { remoteStack: stack }) })
          : failure.code === ErrorCode.TIMEOUT
            ? new TimeoutError(failure.code, failure.message, { retryable: true })
            : new HeraldError(failure.code, failure.message, { retryable: failure.code === ErrorCode.HANDLER_GONE }),
      );
      return;
    }
    if (!remote) {
      caller.connection.sendError(failure.code, failure.message, caller.id);
      return;
    }
    let data: string | undefined;
    try {
      data = failure.data === undefined ? undefined : textIn(failure.data, caller.connection.codec);
    } catch {
      data = undefined; // the data cannot travel; the code and message still do
    }
    caller.connection.sendMessage({
      type: 'response_error',
      id: caller.id,
      code: failure.code,
      message: failure.message,
      ...(data !== undefined && { data }),
      ...(stack !== undefined && { stack }),
    });
  }

  // ---- across routers (the engine's route/onRouted; PROTOCOL.md, "Requests") ----

  /** A message from another node's request router. */
  routed(from: string, message: RoutedMessage): void {
    switch (message.type) {
      case 'request':
        return this.#routedRequest(from, message);
      case 'response':
      case 'error':
      case 'nack': {
        const flight = this.#flights.byKey.get(message.key);
        if (flight?.provider.kind !== 'node' || flight.provider.node !== from) return; // late, or not asked
        if (message.type === 'nack') return this.#retryElsewhere(flight);
        this.#flights.finish(flight);
        if (message.type === 'response') {
          const codec = this.providers.cluster?.codec(message.codec);
          if (codec === undefined) return this.#failCaller(flight, { code: ErrorCode.PAYLOAD_INVALID, message: `unknown codec ${message.codec}` });
          return this.#succeedCaller(flight, { codec, text: message.result });
        }
        const dataCodec = message.data === undefined ? undefined : this.providers.cluster?.codec(message.data.codec);
        const data = dataCodec === undefined ? undefined : { codec: dataCodec, text: message.data!.text };
        this.#failCaller(flight, { code: message.code, message: message.message, ...(data && { data }), ...(message.stack !== undefined && { stack: message.stack }) }, message.remote);
        return;
      }
      case 'cancel': {
        const flight = this.#flights.byNode.get(from)?.get(message.key);
        if (flight === undefined) return;
        this.#flights.finish(flight);
        this.#cancelProvider(flight, message.reason === CancelReason.TIMEOUT ? CancelReason.TIMEOUT : CancelReason.CANCELLED);
        return;
      }
    }
  }

  /** Node `node` is gone: what it serves for us fails HANDLER_GONE, what we serve for it is cancelled. */
  nodeLost(node: string): void {
    this.providers.nodeLost(node);
    for (const flight of [...this.#flights.byKey.values()]) {
      if (flight.provider.kind === 'node' && flight.provider.node === node) {
        this.#flights.finish(flight);
        this.#failCaller(flight, { code: ErrorCode.HANDLER_GONE, message: `the router serving "${flight.method}" is gone` });
      } else if (flight.caller.kind === 'node' && flight.caller.node === node) {
        this.#flights.finish(flight);
        this.#cancelProvider(flight, CancelReason.CALLER_GONE);
      }
    }
  }

  #routedRequest(from: string, message: Extract<RoutedMessage, { type: 'request' }>): void {
    const codec = this.providers.cluster?.codec(message.codec);
    const provider = codec === undefined ? undefined : this.providers.pick(message.method, true);
    if (provider === undefined || codec === undefined) {
      this.#route(from, { type: 'nack', key: message.key }); // nothing was delivered: safe to try elsewhere
      return;
    }
    const flight = this.#start(message.method, provider, { kind: 'node', node: from, key: message.key }, message.timeoutMs);
    let theirs = this.#flights.byNode.get(from);
    if (theirs === undefined) this.#flights.byNode.set(from, (theirs = new Map()));
    theirs.set(message.key, flight);
    this.#dispatch(flight, { codec, text: message.params }, message.caller, undefined, message.info);
  }

  #dispatchToNode(flight: InFlight, provider: NodeProvider, params: Carried, caller: PeerRef, connection: Connection | undefined): void {
    flight.routed ??= { params, caller, connection, tried: new Set() };
    flight.routed.tried.add(provider.node);
    const carried = portable(params, this.providers.cluster);
    if (carried === undefined) {
      this.#flights.finish(flight);
      this.#failCaller(flight, { code: ErrorCode.PAYLOAD_UNENCODABLE, message: 'the params cannot be encoded' });
      return;
    }
    const info = connection?.info;
    const message: RoutedMessage = { type: 'request', key: flight.key, method: flight.method, codec: carried.codec, params: carried.text, caller, timeoutMs: flight.timeoutMs, ...(info && { info }) };
    this.providers.cluster!.engine.route!(provider.node, message).then(
      (delivered) => {
        if (!delivered && this.#flights.byKey.get(flight.key) === flight) this.#retryElsewhere(flight);
      },
      () => {
        if (this.#flights.byKey.get(flight.key) === flight) this.#retryElsewhere(flight);
      },
    );
  }

  /** The node asked could not take the request (gone, or no provider left): another one, or NO_HANDLER. */
  #retryElsewhere(flight: InFlight): void {
    this.#flights.finish(flight);
    const routed = flight.routed!;
    const next = this.providers.pick(flight.method, false, routed.tried);
    if (next === undefined) return this.#failCaller(flight, { code: ErrorCode.NO_HANDLER, message: `nobody provides "${flight.method}"` });
    const again = this.#start(flight.method, next, flight.caller, flight.timeoutMs);
    again.routed = routed;
    if (flight.caller.kind === 'connection') this.#flights.byCaller.get(flight.caller.connection)?.set(flight.caller.id, again) ?? this.#flights.byCaller.set(flight.caller.connection, new Map([[flight.caller.id, again]]));
    this.#dispatch(again, routed.params, routed.caller, routed.connection);
  }

  #route(node: string, message: RoutedMessage): void {
    this.providers.cluster?.engine.route?.(node, message).catch((error: unknown) => this.logger.log('warn', 'routing to another router failed', { node, type: message.type, error: String(error) }));
  }

}
