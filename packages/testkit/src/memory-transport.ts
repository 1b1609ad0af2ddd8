/**
 * An in-memory transport: clients reach a router through pairs of fake sockets, with no socket
 * opened at all, and every frame passes through a switchboard that can drop, delay, cut and
 * partition. Frames are handed over a microtask later, or after the delay a fault rule asks for on
 * `setTimeout`, so a test with `vi.useFakeTimers()` decides when a delayed frame arrives, and
 * backoff, heartbeats and timeouts run on the fake clock: deterministic, no sleeps.
 *
 *   const net = memoryTransport(router);
 *   const client = await connect('memory://router', { WebSocket: net.WebSocket, name: 'Kirk' });
 */
import type { WebSocketConstructor } from '@herald/client';
import { HELLO_SUBPROTOCOL_PREFIX, decodeHelloSubprotocol } from '@herald/protocol';
import type { AcceptedSocket, Router } from '@herald/server';

const CONNECTING = 0;
const OPEN = 1;
const CLOSING = 2;
const CLOSED = 3;

/** Which way a frame travels. */
export type Direction = 'to-router' | 'to-client';

/** A frame on its way, as fault rules see it. */
export interface Frame {
  direction: Direction;
  /** The client connection's name in the transport (`connect(url, { name })` when given, else `client-N`). */
  link: string;
  /** The frame's text; its header's `type` is `JSON.parse(text.split('\n')[0]).type`. */
  text: string;
}

/** A rule that decides a frame's fate: `drop`, a delay in ms, or `undefined` to pass it on. */
export type FaultRule = (frame: Frame) => 'drop' | number | undefined;

type Listener = (...args: never[]) => void;

/** The router's end of a link: the surface `router.acceptSocket` needs. */
class RouterEnd implements AcceptedSocket {
  readyState = OPEN;
  readonly bufferedAmount = 0;
  readonly #listeners = new Map<string, Listener[]>();
  constructor(private readonly link: Link) {}

  on(event: string, listener: Listener): this {
    const list = this.#listeners.get(event) ?? [];
    list.push(listener);
    this.#listeners.set(event, list);
    return this;
  }

  emit(event: string, ...args: unknown[]): void {
    for (const listener of this.#listeners.get(event) ?? []) (listener as (...a: unknown[]) => void).call(this, ...args);
  }

  send(data: string | Uint8Array | readonly Uint8Array[], _options?: unknown, callback?: (error?: Error) => void): void {
    // The router sends text frames, often as pre-encoded bytes (one encoding per fan-out).
    const text = typeof data === 'string' ? data : Buffer.concat(Array.isArray(data) ? data : [data as Uint8Array]).toString('utf8');
    this.link.carry('to-client', text);
    callback?.();
  }

  close(code = 1000, reason = ''): void {
    this.link.close(code, reason);
  }

  terminate(): void {
    this.link.close(1006, '');
  }

  ping(): void {
    // The client end answers pings itself, as a browser does, unless the link is partitioned.
    if (!this.link.partitioned) this.link.after(0, () => this.emit('pong'));
  }
}

/** One client connection: its two ends and the frames between them. */
class Link {
  readonly routerEnd: RouterEnd;
  /** The client's name from its hello (a frame, or in the upgrade), when it gave one. */
  client: string | undefined;
  partitioned = false;
  closed = false;
  constructor(
    readonly name: string,
    readonly net: MemoryTransport,
    readonly clientEnd: MemoryWebSocket,
  ) {
    this.routerEnd = new RouterEnd(this);
  }

  /** Runs `fn` after `ms` on the (possibly fake) timers; at once (a microtask later) for 0. */
  after(ms: number, fn: () => void): void {
    later(ms, fn);
  }

  carry(direction: Direction, text: string): void {
    if (this.closed || this.partitioned) return;
    if (direction === 'to-router' && this.client === undefined && text.startsWith('{"type":"hello"')) {
      this.client = (JSON.parse(text.split('\n', 1)[0]!) as { name?: string }).name;
    }
    const fate = this.net.fate({ direction, link: this.client ?? this.name, text });
    if (fate === 'drop') return;
    this.after(fate ?? 0, () => {
      if (this.closed) return;
      if (direction === 'to-router') this.routerEnd.emit('message', Buffer.from(text), false);
      else this.clientEnd.onmessage?.({ data: text });
    });
  }

  /** Ends both sides: a close frame (code, reason) or, with 1006, a lost connection. */
  close(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.routerEnd.readyState = CLOSED;
    this.clientEnd.setState(CLOSED);
    this.net.forget(this);
    this.after(0, () => {
      this.routerEnd.emit('close', code, Buffer.from(reason));
      this.clientEnd.onclose?.({ code, reason });
    });
  }
}

/** The client's end: the browser WebSocket surface the client uses. */
class MemoryWebSocket {
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  protocol = '';
  #state = CONNECTING;
  readonly #link: Link | undefined;

  constructor(net: MemoryTransport, url: string, protocols: string | string[] | undefined) {
    const offered = protocols === undefined ? [] : typeof protocols === 'string' ? [protocols] : protocols;
    const router = net.routerFor(url);
    if (router === undefined) {
      // Nobody listens at this address (the router is down): the attempt fails like a refused one.
      later(0, () => {
        this.#state = CLOSED;
        this.onerror?.({ type: 'error' });
        this.onclose?.({ code: 1006, reason: '' });
      });
      return;
    }
    const link = new Link(net.nextName(), net, this);
    // A hello in the upgrade (a `herald.v1.hello.*` offer) names the client as a hello frame would.
    const entry = offered.find((offer) => offer.startsWith(HELLO_SUBPROTOCOL_PREFIX));
    const hello = entry === undefined ? undefined : decodeHelloSubprotocol(entry);
    if (hello?.ok === true) link.client = hello.value.name;
    this.#link = link;
    net.adopt(link);
    later(0, () => {
      if (link.closed) return;
      this.protocol = offered[0] ?? '';
      this.#state = OPEN;
      router.acceptSocket(link.routerEnd, offered);
      this.onopen?.({ type: 'open' });
    });
  }

  get readyState(): number {
    return this.#state;
  }

  setState(state: number): void {
    this.#state = state;
  }

  send(data: string): void {
    if (this.#state !== OPEN) return;
    this.#link?.carry('to-router', data);
  }

  close(code = 1000, reason = ''): void {
    if (this.#state >= CLOSING) return;
    this.#state = CLOSING;
    this.#link?.close(code, reason);
  }
}

/**
 * Routers reachable by URL, client links, and the fault rules between them. Make one with
 * {@link memoryTransport}.
 */
export class MemoryTransport {
  /** Pass as `connect(url, { WebSocket })`: sockets that reach this transport's routers in memory. */
  readonly WebSocket: WebSocketConstructor;
  readonly #routers = new Map<string, Router>();
  readonly #links = new Set<Link>();
  readonly #rules = new Set<FaultRule>();
  #count = 0;

  constructor() {
    const net = this;
    this.WebSocket = class extends MemoryWebSocket {
      constructor(url: string, protocols?: string | string[]) {
        super(net, url, protocols);
      }
    } as unknown as WebSocketConstructor;
  }

  /** Makes `router` reachable at `url` (`memory://router` by default), replacing what was there. */
  listen(router: Router, url = 'memory://router'): string {
    this.#routers.set(normalize(url), router);
    return url;
  }

  /** Makes `url` unreachable (a router that is down): connection attempts fail. */
  unlisten(url = 'memory://router'): void {
    this.#routers.delete(normalize(url));
  }

  /** Adds a fault rule; returns a function that removes it. */
  fault(rule: FaultRule): () => void {
    this.#rules.add(rule);
    return () => this.#rules.delete(rule);
  }

  /** Drops every frame that `match` selects (all, by default) until the returned function is called. */
  drop(match: (frame: Frame) => boolean = () => true): () => void {
    return this.fault((frame) => (match(frame) ? 'drop' : undefined));
  }

  /** Delays every frame that `match` selects by `ms` (on the test's timers). */
  delay(ms: number, match: (frame: Frame) => boolean = () => true): () => void {
    return this.fault((frame) => (match(frame) ? ms : undefined));
  }

  /** The names of the open links, in the order they were made. */
  links(): string[] {
    return [...this.#links].map((link) => link.name);
  }

  /** Cuts the link `name` (a link name, or a client's name from its hello; every link without one) with no close frame: both ends see 1006. */
  cut(name?: string): number {
    let cut = 0;
    for (const link of [...this.#links]) {
      if (name !== undefined && link.name !== name && link.client !== name) continue;
      link.close(1006, '');
      cut++;
    }
    return cut;
  }

  /** Every client loses its connection at once (a mass reconnect follows). */
  cutAll(): number {
    return this.cut();
  }

  /**
   * Partitions link `name` (or the client of that name): frames and pings vanish both ways, and nobody is told (the heartbeat
   * finds out). Returns a function that heals it.
   */
  partition(name: string): () => void {
    const links = [...this.#links].filter((link) => link.name === name || link.client === name);
    for (const link of links) link.partitioned = true;
    return () => {
      for (const link of links) link.partitioned = false;
    };
  }

  /** @internal */
  fate(frame: Frame): 'drop' | number | undefined {
    let delay: number | undefined;
    for (const rule of this.#rules) {
      const fate = rule(frame);
      if (fate === 'drop') return 'drop';
      if (typeof fate === 'number') delay = Math.max(delay ?? 0, fate);
    }
    return delay;
  }

  /** @internal */
  routerFor(url: string): Router | undefined {
    return this.#routers.get(normalize(url));
  }

  /** @internal */
  nextName(): string {
    return `link-${++this.#count}`;
  }

  /** @internal */
  adopt(link: Link): void {
    this.#links.add(link);
  }

  /** @internal */
  forget(link: Link): void {
    this.#links.delete(link);
  }
}

/**
 * Frames with no delay go a microtask later (never faked: nothing waits for a clock), delayed
 * ones on `setTimeout` (faked under `vi.useFakeTimers()`, so the test moves them on).
 */
function later(ms: number, fn: () => void): void {
  if (ms <= 0) queueMicrotask(fn);
  else setTimeout(fn, ms);
}

function normalize(url: string): string {
  return url.replace(/\/+$/, '');
}

/**
 * An in-memory transport, with `router` reachable at `memory://router` when given.
 *
 * @example
 * import { vi } from 'vitest';
 * import { connect } from '@herald/client';
 * import { memoryTransport, startRouter } from '@herald/testkit';
 * vi.useFakeTimers();
 * const router = await startRouter();
 * const net = memoryTransport(router);
 * const client = connect('memory://router', { WebSocket: net.WebSocket });
 * await vi.advanceTimersByTimeAsync(0);
 */
export function memoryTransport(router?: Router): MemoryTransport {
  const net = new MemoryTransport();
  if (router !== undefined) net.listen(router);
  return net;
}
