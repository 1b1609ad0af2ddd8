/**
 * Prometheus metrics of a router, with prom-client. Counters that the router keeps anyway
 * (`router.stats()`) and gauges are read when Prometheus scrapes; only what the router does not
 * count itself is counted on the hot path (request outcomes and latency, engine publish latency,
 * connects and disconnects by reason), each with one increment or observation.
 * Loaded only when `metrics` is on (`import()` from router.ts), so a router without metrics never
 * loads prom-client.
 */
import { CloseCode } from '@herald/protocol';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { RouterObserver } from './observer.js';
import type { Health } from './health.js';
import type { RouterStats } from './hub.js';
import type { RouterEvents } from './router.js';

/** What the metrics read of the router. */
export interface MetricsSource {
  stats(): RouterStats;
  methods(): unknown[];
  on<K extends keyof RouterEvents>(event: K, listener: RouterEvents[K]): () => void;
}

/** Options of the router's Prometheus metrics (`createRouter({ metrics })`). */
export interface MetricsOptions {
  /** Register into this registry (the application's own). Default: a new registry for this router. */
  registry?: Registry;
  /** Prefix of every metric name. Default `herald_`. */
  prefix?: string;
  /**
   * Serve `/metrics`, `/healthz` and `/readyz` on this separate port (0 picks one: read
   * `router.metricsUrl`). Default: on the router's own HTTP server (not on a shared `server`:
   * mount `router.metrics.metrics()` there yourself).
   */
  port?: number;
  /** The separate port's interface. Default: the router's `host`. */
  host?: string;
}

/** Close codes by number, for the `reason` label of disconnects. */
const CLOSE_NAMES = new Map<number, string>(Object.entries(CloseCode).map(([name, code]) => [code, name.toLowerCase()]));

function closeReason(code: number): string {
  return CLOSE_NAMES.get(code) ?? (code >= 4000 && code < 5000 ? `herald_${code}` : `other`);
}

/** The metrics of one router; `observer` goes to the hub, `registry` to whoever serves `/metrics`. */
export class RouterMetrics {
  readonly registry: Registry;
  readonly observer: RouterObserver;

  constructor(router: MetricsSource, health: Health, options: MetricsOptions) {
    const registry = (this.registry = options.registry ?? new Registry());
    const p = options.prefix ?? 'herald_';
    const registers = [registry];

    /** A counter whose value is read from the router's own counters at scrape time. */
    const counterFrom = (name: string, help: string, read: () => number): void => {
      new Counter({
        name: p + name,
        help,
        registers,
        collect() {
          this.reset();
          this.inc(read());
        },
      });
    };
    const gaugeFrom = (name: string, help: string, read: () => number | Promise<number>): void => {
      new Gauge({
        name: p + name,
        help,
        registers,
        async collect() {
          this.set(await read());
        },
      });
    };

    gaugeFrom('connections', 'Open WebSocket connections, welcomed or not.', () => router.stats().connections);
    gaugeFrom('subscriptions', 'Subscriptions held by the connected clients.', () => router.stats().subscriptions);
    gaugeFrom(
      'presence_members',
      'Presence memberships of the connected clients (a client is a member of each topic or pattern it subscribes to).',
      () => router.stats().subscriptions,
    );
    gaugeFrom('presence_watches', 'Presence watches held by the connected clients.', () => router.stats().presenceWatches);
    gaugeFrom('methods', 'Methods with at least one provider.', () => router.methods().length);
    gaugeFrom('topics', 'Topics the engine holds.', async () => (await health.holdings()).topics);
    gaugeFrom('history_messages', 'Messages held in history by the engine, over all topics.', async () => (await health.holdings()).messages);
    gaugeFrom('engine_bytes', 'Bytes held by topics and history, by the engine’s estimate.', async () => (await health.holdings()).bytes);
    counterFrom('topic_evictions_total', 'Topics the engine forgot to stay within its topic budget.', () => router.stats().engine?.evictions ?? 0);
    counterFrom('publications_total', 'Publications accepted (from clients and router.publish).', () => router.stats().publications);
    counterFrom('deliveries_total', 'Messages handed to subscribers (sockets and in-process).', () => router.stats().deliveries);
    counterFrom('frames_encoded_total', 'Delivery frames built (one per publication and receiving codec).', () => router.stats().framesEncoded);
    counterFrom('received_bytes_total', 'Bytes received from clients on the wire (handshake and WebSocket framing included).', () => router.stats().bytesIn);
    counterFrom('sent_bytes_total', 'Bytes sent to clients on the wire (handshake and WebSocket framing included).', () => router.stats().bytesOut);
    counterFrom('slow_consumers_total', 'Clients disconnected for reading too slowly (close 4200).', () => router.stats().slowConsumers);
    counterFrom('heartbeat_timeouts_total', 'Clients dropped for silence.', () => router.stats().heartbeatTimeouts);

    const connects = new Counter({ name: p + 'connects_total', help: 'Clients welcomed.', registers });
    const disconnects = new Counter({
      name: p + 'disconnects_total',
      help: 'Welcomed clients that disconnected, by close reason and presence leave (closed or dropped).',
      labelNames: ['reason', 'leave'],
      registers,
    });
    const errors = new Counter({ name: p + 'errors_total', help: 'Router errors (engine failures, in-process subscribers that threw), by code.', labelNames: ['code'], registers });
    router.on('connect', () => connects.inc());
    router.on('disconnect', (_client, detail) => disconnects.inc({ reason: closeReason(detail.code), leave: detail.leave }));
    router.on('error', (error) => errors.inc({ code: error.code }));

    const requests = new Counter({
      name: p + 'requests_total',
      help: 'Requests by outcome: ok, remote_error (the handler failed), or the router error code (NO_HANDLER, TIMEOUT, HANDLER_GONE, …).',
      labelNames: ['outcome'],
      registers,
    });
    const requestSeconds = new Histogram({
      name: p + 'request_duration_seconds',
      help: 'Time from a request reaching a provider to its outcome.',
      labelNames: ['outcome'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    const enginePublish = new Histogram({
      name: p + 'engine_publish_seconds',
      help: 'Time the engine took to stamp a publication.',
      labelNames: ['result'],
      buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1],
      registers,
    });
    // One probe per scrape, shared by both gauges.
    let probe: ReturnType<Health['probeEngine']> | undefined;
    const probeOnce = (): ReturnType<Health['probeEngine']> => {
      probe ??= health.probeEngine().finally(() => setImmediate(() => (probe = undefined)));
      return probe;
    };
    gaugeFrom('engine_up', 'Whether the engine answered a probe at this scrape (1) or not (0).', async () => ((await probeOnce()).up ? 1 : 0));
    gaugeFrom('engine_probe_seconds', 'Time the engine took to answer the probe at this scrape.', async () => (await probeOnce()).seconds);

    const rateLimited = new Counter({
      name: p + 'rate_limited_total',
      help: 'Client messages refused RATE_LIMITED (or whose connection was closed 4300), by message type.',
      labelNames: ['operation'],
      registers,
    });
    // Pre-create the common outcomes so that a dashboard sees zeros, not missing series.
    requests.inc({ outcome: 'ok' }, 0);
    this.observer = {
      requestSettled(outcome, seconds) {
        requests.inc({ outcome });
        requestSeconds.observe({ outcome }, seconds);
      },
      requestRefused(code) {
        requests.inc({ outcome: code });
      },
      rateLimited(operation) {
        rateLimited.inc({ operation });
      },
      enginePublish(seconds, ok) {
        enginePublish.observe({ result: ok ? 'ok' : 'error' }, seconds);
      },
    };
  }
}
