/**
 * The request router's table of requests in flight: each under the key the router uses with its
 * provider, and indexed by its calling connection (by the caller's id), by the connection that
 * serves it, and by the node that routed it here, so that a disconnect or a node's loss visits
 * only its own requests (issue #12). The requests' lifecycle is in requests.ts.
 */
import type { HeraldError, PeerRef } from '@herald/protocol';
import type { Connection } from './connection.js';
import type { Provider } from './request-providers.js';
import type { Carried } from './request-values.js';

/** Who waits for a request's outcome. */
export type Caller =
  | { kind: 'connection'; connection: Connection; id: number }
  | { kind: 'local'; resolve: (value: unknown) => void; reject: (error: HeraldError) => void }
  /** A caller on another node: `key` is that node's id for the request. */
  | { kind: 'node'; node: string; key: number };

/** A request on its way to, or at, its provider. */
export interface InFlight {
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

/** The requests in flight, by key and by party. */
export class InFlightTable {
  /** Every request in flight, by the key the router uses with its provider. */
  readonly byKey = new Map<number, InFlight>();
  /** Each calling connection's requests, by the caller's id. */
  readonly byCaller = new Map<Connection, Map<number, InFlight>>();
  /** The requests each connection serves: its disconnect fails them without reading every request in flight. */
  readonly servedBy = new Map<Connection, Set<InFlight>>();
  /** Requests other nodes routed here, by their node and key. */
  readonly byNode = new Map<string, Map<number, InFlight>>();
  #nextKey = 1;

  /** The key of the next request (the id the provider sees). */
  nextKey(): number {
    return this.#nextKey++;
  }

  /** A request reached its provider: counted in its load, and under the connection that serves it. */
  add(flight: InFlight): void {
    flight.provider.inFlight++;
    this.byKey.set(flight.key, flight);
    if (flight.provider.kind === 'connection') {
      let served = this.servedBy.get(flight.provider.connection);
      if (served === undefined) this.servedBy.set(flight.provider.connection, (served = new Set()));
      served.add(flight);
    }
  }

  /** Takes a request out of the table (once: later calls do nothing) and stops its timer. */
  finish(flight: InFlight): void {
    if (!this.byKey.delete(flight.key)) return;
    clearTimeout(flight.timer);
    flight.provider.inFlight--;
    if (flight.provider.kind === 'connection') {
      const served = this.servedBy.get(flight.provider.connection);
      served?.delete(flight);
      if (served?.size === 0) this.servedBy.delete(flight.provider.connection);
    }
    if (flight.caller.kind === 'connection') {
      const mine = this.byCaller.get(flight.caller.connection);
      mine?.delete(flight.caller.id);
      if (mine?.size === 0) this.byCaller.delete(flight.caller.connection);
    } else if (flight.caller.kind === 'node') {
      const theirs = this.byNode.get(flight.caller.node);
      theirs?.delete(flight.caller.key);
      if (theirs?.size === 0) this.byNode.delete(flight.caller.node);
    }
  }
}
