/**
 * Routed request/reply (pysig's requests): callers and providers are connections or the router
 * itself. The router relays each request to one provider under an id of its own, and relays the
 * reply back under the caller's id. Requests are routed among the providers connected to this
 * router; see PROTOCOL.md, "Requests".
 *
 * Choosing a provider: the one with the fewest requests in flight; ties go round robin.
 */
import {
  CancelReason,
  type Codec,
  ErrorCode,
  HeraldError,
  type MethodWire,
  type PeerRef,
  RemoteError,
  TimeoutError,
  handlerFailure,
  methodProblem,
  transcode,
} from '@herald/protocol';
import { checkCallOptions } from './call-options.js';
import type { Connection } from './connection.js';
import type { Engine, RoutedMessage } from './engine.js';
import type { Logger } from './logger.js';
import type { RouterObserver } from './observer.js';

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

/** Providers of a method a router names to the other routers of its cluster (`Engine.provide`), at most. */
const ANNOUNCED_PEERS = 32;

/** Another node of the cluster, as a provider: `weight` is its provider count for the method. */
type NodeProvider = { kind: 'node'; node: string; inFlight: number; weight: number };

type Provider =
  | { kind: 'connection'; connection: Connection; inFlight: number }
  | { kind: 'local'; handler: RequestHandler; inFlight: number }
  | NodeProvider;

type Caller =
  | { kind: 'connection'; connection: Connection; id: number }
  | { kind: 'local'; resolve: (value: unknown) => void; reject: (error: HeraldError) => void }
  /** A caller on another node: `key` is that node's id for the request. */
  | { kind: 'node'; node: string; key: number };

/** What routing across routers needs (cluster-requests.ts): the engine and the codecs by name. */
export interface RequestCluster {
  engine: Engine;
  codec(name: string): Codec | undefined;
}

/** A value on its way: encoded text in some codec, or an in-process value. */
type Carried = { codec: Codec; text: string } | { value: unknown };

interface InFlight {
  /** The id the router uses with the provider. */
  key: number;
  method: string;
  provider: Provider;
  caller: Caller;
  timer: ReturnType<typeof setTimeout>;
  /** How long the caller waits, in milliseconds. */
  timeoutMs: number;
  /** For an in-process provider: aborts its ctx.signal. */
  abort: AbortController | undefined;
  /** `performance.now()` when it reached a provider, for the latency metric. */
  startedAt: number;
  /** Sent to another node: what a retry elsewhere needs (after a `nack`, or a node that is gone). */
  routed?: { params: Carried; caller: PeerRef; connection: Connection | undefined; tried: Set<string> };
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

interface Failure {
  code: string;
  message: string;
  data?: Carried;
  stack?: string;
}

export class Requests {
  readonly #providers = new Map<string, Provider[]>();
  readonly #cursor = new Map<string, number>();
  readonly #inFlight = new Map<number, InFlight>();
  readonly #byCaller = new Map<Connection, Map<number, InFlight>>();
  /** The methods each connection provides: a disconnect reads its own, not every method (issue #12). */
  readonly #byProvider = new Map<Connection, Set<string>>();
  /** The requests each connection serves: its disconnect fails them without reading every request in flight. */
  readonly #servedBy = new Map<Connection, Set<InFlight>>();
  /** Work counted for the bounds' tests (`router.stats().requestWork`). */
  readonly work: RequestWork = { disconnectVisits: 0, methodListsBuilt: 0 };
  /** `methods()`, sorted once per change rather than once per `list_methods`. */
  #listed: MethodWire[] | undefined;
  /** The engine's `remoteMethods().version` that `#listed` was built from. */
  #listedRemote: number | undefined;
  #nextKey = 1;
  /** Set by the hub when the engine routes requests across routers. */
  cluster: RequestCluster | undefined;
  /**
   * Set by the hub when a contract is given: checks a result the router holds as a value (one a
   * local handler returned, or one decoded for `router.request`). Results relayed between clients
   * are not decoded, so not checked (PROTOCOL.md 9.1).
   */
  checkResult: ((method: string, value: unknown) => HeraldError | undefined | Promise<HeraldError | undefined>) | undefined;
  /** The other nodes as providers (their in-flight counts), and requests they routed here by their key. */
  readonly #nodes = new Map<string, NodeProvider>();
  readonly #byNode = new Map<string, Map<number, InFlight>>();

  constructor(
    readonly routerPeer: PeerRef,
    readonly limits: RequestLimits,
    readonly logger: Logger,
    readonly observer: () => RouterObserver | undefined,
    readonly memberInfo: (connection: Connection, codec: Codec) => string | undefined,
  ) {}

  // ---- providers ----

  /**
   * Registers a connection as provider. Returns the refusal (`METHOD_INVALID`, or `HANDLER_LIMIT`
   * past the connection's `maxHandlers` or the router's `maxMethods`), or undefined when done.
   */
  provide(connection: Connection, method: string): { code: string; message: string } | undefined {
    const problem = methodProblem(method);
    if (problem !== undefined) return { code: ErrorCode.METHOD_INVALID, message: problem };
    let mine = this.#byProvider.get(connection);
    if (mine?.has(method)) return undefined;
    const maxHandlers = connection.quota?.limits.maxHandlers ?? Number.POSITIVE_INFINITY;
    if ((mine?.size ?? 0) >= maxHandlers) return { code: ErrorCode.HANDLER_LIMIT, message: `at most ${maxHandlers} handlers per connection` };
    if (!this.#providers.has(method) && this.#providers.size >= this.limits.maxMethods) {
      return { code: ErrorCode.HANDLER_LIMIT, message: `the router serves at most ${this.limits.maxMethods} methods` };
    }
    if (mine === undefined) this.#byProvider.set(connection, (mine = new Set()));
    mine.add(method);
    const providers = this.#providersOf(method);
    providers.push({ kind: 'connection', connection, inFlight: 0 });
    this.logger.log('info', 'provider registered', { method, id: connection.id, name: connection.name, providers: providers.length });
    this.#announce(method);
    return undefined;
  }

  unprovide(connection: Connection, method: string): void {
    const mine = this.#byProvider.get(connection);
    if (mine?.delete(method) !== true) return;
    if (mine.size === 0) this.#byProvider.delete(connection);
    this.#remove(method, (p) => p.kind === 'connection' && p.connection === connection);
  }

  /** The methods a connection provides. */
  providedBy(connection: Connection): string[] {
    return [...(this.#byProvider.get(connection) ?? [])];
  }

  /** Registers an in-process handler; returns the function that removes it. */
  provideLocal(method: string, handler: RequestHandler): () => void {
    const providers = this.#providersOf(method);
    if (providers.some((p) => p.kind === 'local')) {
      throw new HeraldError(ErrorCode.HANDLER_EXISTS, `the router already handles "${method}"`);
    }
    const provider: Provider = { kind: 'local', handler, inFlight: 0 };
    providers.push(provider);
    this.#announce(method);
    return () => this.#remove(method, (p) => p === provider);
  }

  /**
   * The methods provided and by whom, sorted by method (built once per change): this router's
   * providers first, then those the engine lists for the other nodes of a cluster.
   */
  methods(): MethodWire[] {
    const remote = this.cluster?.engine.remoteMethods?.();
    if (this.#listed === undefined || remote?.version !== this.#listedRemote) {
      this.#listedRemote = remote?.version;
      this.#listed = this.#list(remote?.methods);
    }
    return this.#listed;
  }

  #list(remote: ReadonlyMap<string, readonly PeerRef[]> | undefined): MethodWire[] {
    this.work.methodListsBuilt++;
    const all = new Map<string, PeerRef[]>();
    for (const [method, providers] of this.#providers) all.set(method, providers.map((p) => this.#peerOf(p)));
    for (const [method, peers] of remote ?? []) {
      const listed = all.get(method);
      if (listed === undefined) all.set(method, [...peers]);
      else listed.push(...peers);
    }
    return [...all.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([method, providers]) => ({ method, providers }));
  }

  #peerOf(provider: Provider): PeerRef {
    return provider.kind === 'connection' ? provider.connection.peer() : { ...this.routerPeer };
  }

  // ---- requests from connections ----

  /** A caller's request. Returns a coded refusal to send back, or undefined once dispatched. */
  request(connection: Connection, id: number, method: string, timeout: number | undefined, payload: string): HeraldError | undefined {
    const problem = methodProblem(method);
    if (problem !== undefined) return new HeraldError(ErrorCode.METHOD_INVALID, problem);
    let mine = this.#byCaller.get(connection);
    if (mine?.has(id)) return new HeraldError(ErrorCode.PROTOCOL_INVALID_MESSAGE, `request ${id} is already in flight`);
    if ((mine?.size ?? 0) >= this.limits.maxPendingRequests) {
      return new HeraldError(ErrorCode.REQUEST_LIMIT, `at most ${this.limits.maxPendingRequests} requests in flight per connection`, { retryable: true });
    }
    if (this.limits.validatePayloads) {
      const invalid = connection.codec.check(payload);
      if (invalid !== undefined) return invalid;
    }
    const provider = this.#pick(method);
    if (provider === undefined) return new HeraldError(ErrorCode.NO_HANDLER, `nobody provides "${method}"`);
    if (mine === undefined) this.#byCaller.set(connection, (mine = new Map()));
    const flight = this.#start(method, provider, { kind: 'connection', connection, id }, timeout);
    mine.set(id, flight);
    this.#dispatch(flight, { codec: connection.codec, text: payload }, connection.peer(), connection);
    return undefined;
  }

  /** The caller gave up on its request `id`: its own timer ran out (`reason` `timeout`), or it cancelled. */
  cancel(connection: Connection, id: number, reason?: string): void {
    const flight = this.#byCaller.get(connection)?.get(id);
    if (flight === undefined) return;
    this.#finish(flight);
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
        this.#finish(flight);
        this.#failCaller(flight, { code: invalid.code, message: `the provider sent an invalid result: ${invalid.message}` });
        return;
      }
    }
    this.#finish(flight);
    this.#succeedCaller(flight, { codec: connection.codec, text: payload });
  }

  /** A provider's failure. */
  respondError(connection: Connection, key: number, failure: { code: string; message: string; data?: string; stack?: string }): void {
    const flight = this.#flightFrom(connection, key, 'response_error');
    if (flight === undefined) return;
    this.#finish(flight);
    const data = failure.data !== undefined && connection.codec.check(failure.data) === undefined
      ? { codec: connection.codec, text: failure.data }
      : undefined;
    this.#failCaller(flight, { code: failure.code, message: failure.message, ...(data && { data }), ...(failure.stack !== undefined && { stack: failure.stack }) }, true);
  }

  /** A connection closed: its providers go, its requests end, requests it serves fail HANDLER_GONE. */
  closed(connection: Connection): void {
    for (const method of [...(this.#byProvider.get(connection) ?? [])]) {
      this.work.disconnectVisits++;
      this.unprovide(connection, method);
    }
    for (const flight of [...(this.#byCaller.get(connection)?.values() ?? [])]) {
      this.work.disconnectVisits++;
      this.#finish(flight);
      this.#cancelProvider(flight, CancelReason.CALLER_GONE);
    }
    this.#byCaller.delete(connection);
    for (const flight of [...(this.#servedBy.get(connection) ?? [])]) {
      this.work.disconnectVisits++;
      this.#finish(flight);
      this.#failCaller(flight, { code: ErrorCode.HANDLER_GONE, message: `the provider of "${flight.method}" disconnected` });
    }
    this.#servedBy.delete(connection);
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
    const provider = this.#pick(method);
    if (provider === undefined) return Promise.reject(new HeraldError(ErrorCode.NO_HANDLER, `nobody provides "${method}"`));
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        if (!this.#inFlight.has(flight.key)) return;
        this.#finish(flight);
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

  #providersOf(method: string): Provider[] {
    this.#listed = undefined;
    let providers = this.#providers.get(method);
    if (providers === undefined) this.#providers.set(method, (providers = []));
    return providers;
  }

  #remove(method: string, match: (p: Provider) => boolean): void {
    const providers = this.#providers.get(method);
    const index = providers?.findIndex(match) ?? -1;
    if (index === -1) return;
    this.#listed = undefined;
    const [removed] = providers!.splice(index, 1);
    if (removed?.kind === 'connection') {
      this.logger.log('info', 'provider unregistered', { method, id: removed.connection.id, providers: providers!.length });
    }
    if (providers!.length === 0) {
      this.#providers.delete(method);
      this.#cursor.delete(method);
    }
    this.#announce(method);
  }

  /**
   * Tells the cluster how many providers of `method` this node has now, and who the first
   * {@link ANNOUNCED_PEERS} are: naming all of them on every change would make N clients handling
   * a method again (a reconnect storm) cost N²/2 references.
   */
  #announce(method: string): void {
    const engine = this.cluster?.engine;
    if (engine?.provide === undefined) return;
    const providers = this.#providers.get(method) ?? [];
    engine.provide(method, providers.length, providers.slice(0, ANNOUNCED_PEERS).map((p) => this.#peerOf(p)));
  }

  /**
   * The provider with the fewest requests in flight, starting after the last one picked: this
   * router's providers and (unless `localOnly`) the other nodes that provide the method, a node's
   * load being its requests in flight from here divided by its provider count.
   */
  #pick(method: string, localOnly = false, exclude?: ReadonlySet<string>): Provider | undefined {
    let providers: Provider[] = this.#providers.get(method) ?? [];
    const remote = localOnly ? undefined : this.cluster?.engine.remoteProviders?.(method);
    if (remote !== undefined && remote.size > 0) {
      providers = [...providers];
      for (const [node, count] of remote) {
        if (count <= 0 || exclude?.has(node)) continue;
        let provider = this.#nodes.get(node);
        if (provider === undefined) this.#nodes.set(node, (provider = { kind: 'node', node, inFlight: 0, weight: count }));
        provider.weight = count;
        providers.push(provider);
      }
    }
    if (providers.length === 0) return undefined;
    const load = (p: Provider): number => (p.kind === 'node' ? p.inFlight / p.weight : p.inFlight);
    const start = (this.#cursor.get(method) ?? 0) % providers.length;
    let best = start;
    for (let step = 1; step < providers.length; step++) {
      const i = (start + step) % providers.length;
      if (load(providers[i]!) < load(providers[best]!)) best = i;
    }
    this.#cursor.set(method, best + 1);
    return providers[best];
  }

  #start(method: string, provider: Provider, caller: Caller, timeout: number | undefined): InFlight {
    const ms = Math.min(timeout ?? this.limits.requestTimeoutMs, this.limits.maxRequestTimeoutMs);
    const key = this.#nextKey++;
    const flight: InFlight = {
      key,
      method,
      provider,
      caller,
      timeoutMs: ms,
      abort: provider.kind === 'local' ? new AbortController() : undefined,
      startedAt: performance.now(),
      timer: setTimeout(() => {
        if (!this.#inFlight.has(key)) return;
        this.#finish(flight);
        this.#cancelProvider(flight, CancelReason.TIMEOUT);
        this.#failCaller(flight, { code: ErrorCode.TIMEOUT, message: `no reply to "${method}" within ${ms} ms` });
      }, ms),
    };
    provider.inFlight++;
    this.#inFlight.set(key, flight);
    if (provider.kind === 'connection') {
      let served = this.#servedBy.get(provider.connection);
      if (served === undefined) this.#servedBy.set(provider.connection, (served = new Set()));
      served.add(flight);
    }
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
        this.#finish(flight);
        this.#failCaller(flight, asFailure(error, ErrorCode.PAYLOAD_UNENCODABLE));
        return;
      }
      const info = callerConnection !== undefined ? this.memberInfo(callerConnection, codec) : this.#remoteInfo(remoteInfo, codec);
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
      this.#finish(flight);
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
          if (!this.#inFlight.has(flight.key)) return; // timed out, cancelled or caller gone
          this.#finish(flight);
          this.#succeedCaller(flight, { value: result });
        },
        (error: unknown) => {
          if (!this.#inFlight.has(flight.key)) return;
          this.#finish(flight);
          const { data, ...failure } = handlerFailure(error);
          this.#failCaller(flight, data === undefined ? failure : { ...failure, data: { value: data } }, true);
        },
      );
  }

  #flightFrom(connection: Connection, key: number, what: string): InFlight | undefined {
    const flight = this.#inFlight.get(key);
    if (flight?.provider.kind === 'connection' && flight.provider.connection === connection) return flight;
    // A late reply (after a timeout or cancel), a second reply, or one from a party not asked.
    this.logger.log('debug', `dropped a ${what} for no request in flight`, { id: connection.id, name: connection.name, request: key });
    return undefined;
  }

  #finish(flight: InFlight): void {
    if (!this.#inFlight.delete(flight.key)) return;
    clearTimeout(flight.timer);
    flight.provider.inFlight--;
    if (flight.provider.kind === 'connection') {
      const served = this.#servedBy.get(flight.provider.connection);
      served?.delete(flight);
      if (served?.size === 0) this.#servedBy.delete(flight.provider.connection);
    }
    if (flight.caller.kind === 'connection') {
      const mine = this.#byCaller.get(flight.caller.connection);
      mine?.delete(flight.caller.id);
      if (mine?.size === 0) this.#byCaller.delete(flight.caller.connection);
    } else if (flight.caller.kind === 'node') {
      const theirs = this.#byNode.get(flight.caller.node);
      theirs?.delete(flight.caller.key);
      if (theirs?.size === 0) this.#byNode.delete(flight.caller.node);
    }
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
      const carried = this.#portable(result);
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
      const data = failure.data === undefined ? undefined : this.#portable(failure.data);
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
        const flight = this.#inFlight.get(message.key);
        if (flight?.provider.kind !== 'node' || flight.provider.node !== from) return; // late, or not asked
        if (message.type === 'nack') return this.#retryElsewhere(flight);
        this.#finish(flight);
        if (message.type === 'response') {
          const codec = this.cluster?.codec(message.codec);
          if (codec === undefined) return this.#failCaller(flight, { code: ErrorCode.PAYLOAD_INVALID, message: `unknown codec ${message.codec}` });
          return this.#succeedCaller(flight, { codec, text: message.result });
        }
        const dataCodec = message.data === undefined ? undefined : this.cluster?.codec(message.data.codec);
        const data = dataCodec === undefined ? undefined : { codec: dataCodec, text: message.data!.text };
        this.#failCaller(flight, { code: message.code, message: message.message, ...(data && { data }), ...(message.stack !== undefined && { stack: message.stack }) }, message.remote);
        return;
      }
      case 'cancel': {
        const flight = this.#byNode.get(from)?.get(message.key);
        if (flight === undefined) return;
        this.#finish(flight);
        this.#cancelProvider(flight, message.reason === CancelReason.TIMEOUT ? CancelReason.TIMEOUT : CancelReason.CANCELLED);
        return;
      }
    }
  }

  /** Node `node` is gone: what it serves for us fails HANDLER_GONE, what we serve for it is cancelled. */
  nodeLost(node: string): void {
    this.#nodes.delete(node);
    for (const flight of [...this.#inFlight.values()]) {
      if (flight.provider.kind === 'node' && flight.provider.node === node) {
        this.#finish(flight);
        this.#failCaller(flight, { code: ErrorCode.HANDLER_GONE, message: `the router serving "${flight.method}" is gone` });
      } else if (flight.caller.kind === 'node' && flight.caller.node === node) {
        this.#finish(flight);
        this.#cancelProvider(flight, CancelReason.CALLER_GONE);
      }
    }
  }

  #routedRequest(from: string, message: Extract<RoutedMessage, { type: 'request' }>): void {
    const codec = this.cluster?.codec(message.codec);
    const provider = codec === undefined ? undefined : this.#pick(message.method, true);
    if (provider === undefined || codec === undefined) {
      this.#route(from, { type: 'nack', key: message.key }); // nothing was delivered: safe to try elsewhere
      return;
    }
    const flight = this.#start(message.method, provider, { kind: 'node', node: from, key: message.key }, message.timeoutMs);
    let theirs = this.#byNode.get(from);
    if (theirs === undefined) this.#byNode.set(from, (theirs = new Map()));
    theirs.set(message.key, flight);
    this.#dispatch(flight, { codec, text: message.params }, message.caller, undefined, message.info);
  }

  #dispatchToNode(flight: InFlight, provider: NodeProvider, params: Carried, caller: PeerRef, connection: Connection | undefined): void {
    flight.routed ??= { params, caller, connection, tried: new Set() };
    flight.routed.tried.add(provider.node);
    const carried = this.#portable(params);
    if (carried === undefined) {
      this.#finish(flight);
      this.#failCaller(flight, { code: ErrorCode.PAYLOAD_UNENCODABLE, message: 'the params cannot be encoded' });
      return;
    }
    const info = connection?.info;
    const message: RoutedMessage = { type: 'request', key: flight.key, method: flight.method, codec: carried.codec, params: carried.text, caller, timeoutMs: flight.timeoutMs, ...(info && { info }) };
    this.cluster!.engine.route!(provider.node, message).then(
      (delivered) => {
        if (!delivered && this.#inFlight.get(flight.key) === flight) this.#retryElsewhere(flight);
      },
      () => {
        if (this.#inFlight.get(flight.key) === flight) this.#retryElsewhere(flight);
      },
    );
  }

  /** The node asked could not take the request (gone, or no provider left): another one, or NO_HANDLER. */
  #retryElsewhere(flight: InFlight): void {
    this.#finish(flight);
    const routed = flight.routed!;
    const next = this.#pick(flight.method, false, routed.tried);
    if (next === undefined) return this.#failCaller(flight, { code: ErrorCode.NO_HANDLER, message: `nobody provides "${flight.method}"` });
    const again = this.#start(flight.method, next, flight.caller, flight.timeoutMs);
    again.routed = routed;
    if (flight.caller.kind === 'connection') this.#byCaller.get(flight.caller.connection)?.set(flight.caller.id, again) ?? this.#byCaller.set(flight.caller.connection, new Map([[flight.caller.id, again]]));
    this.#dispatch(again, routed.params, routed.caller, routed.connection);
  }

  #route(node: string, message: RoutedMessage): void {
    this.cluster?.engine.route?.(node, message).catch((error: unknown) => this.logger.log('warn', 'routing to another router failed', { node, type: message.type, error: String(error) }));
  }

  /** A value as text in a codec the other node knows (in-process values in the first codec). */
  #portable(carried: Carried): { codec: string; text: string } | undefined {
    if (!('value' in carried)) return { codec: carried.codec.name, text: carried.text };
    const codec = this.cluster?.codec('');
    try {
      return codec === undefined ? undefined : { codec: codec.name, text: codec.encode(carried.value) };
    } catch {
      return undefined;
    }
  }

  #remoteInfo(info: { codec: string; text: string } | undefined, codec: Codec): string | undefined {
    const from = info === undefined ? undefined : this.cluster?.codec(info.codec);
    if (from === undefined) return undefined;
    try {
      return transcode(info!.text, from, codec);
    } catch {
      return undefined;
    }
  }
}

function asFailure(error: unknown, fallback: string): Failure {
  const code = error instanceof HeraldError ? error.code : fallback;
  return { code, message: error instanceof Error ? error.message : String(error) };
}

function textIn(carried: Carried, codec: Codec): string {
  if ('value' in carried) return codec.encode(carried.value);
  return transcode(carried.text, carried.codec, codec);
}

function valueOf(carried: Carried): { ok: true; value: unknown } | { ok: false; message: string } {
  if ('value' in carried) return { ok: true, value: carried.value };
  const decoded = carried.codec.decode(carried.text);
  return decoded.ok ? { ok: true, value: decoded.value } : { ok: false, message: decoded.error.message };
}

function cancelled(method: string, reason: unknown): HeraldError {
  return new HeraldError(ErrorCode.REQUEST_CANCELLED, `the request for "${method}" was cancelled`, { cause: reason });
}
