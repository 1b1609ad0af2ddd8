/**
 * Liveness and readiness, the load balancer's contract (README, "Operations"):
 * - `GET /healthz` → 200 while the process serves HTTP (alive; restart it when this fails).
 * - `GET /readyz` → 200 when the router listens, is not shutting down, and its engine answered a
 *   probe within `ENGINE_PROBE_TIMEOUT_MS`; 503 otherwise (send it no new clients).
 * Both answer JSON. They are served on the router's own HTTP server, and on the metrics port.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Engine } from './engine.js';

/** How long the engine may take to answer the readiness probe. */
export const ENGINE_PROBE_TIMEOUT_MS = 2000;
/** The topic whose presence the probe reads: a read that touches the engine and changes nothing. */
const PROBE_TOPIC = 'herald.readyz';

/** What `router.health()` reports. */
export interface HealthReport {
  /** `ready`: send clients here; `not_ready`: do not (starting, shutting down, or the engine is unreachable). */
  status: 'ready' | 'not_ready';
  listening: boolean;
  closing: boolean;
  engine: { up: boolean; latencyMs: number; error?: string };
}

export interface EngineProbe {
  up: boolean;
  seconds: number;
  error?: string;
}

export class Health {
  constructor(
    readonly engine: Engine,
    readonly state: () => { listening: boolean; closing: boolean },
  ) {}

  /** Asks the engine something cheap (the probe topic's presence) and times it. */
  async probeEngine(): Promise<EngineProbe> {
    const started = performance.now();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ENGINE_PROBE_TIMEOUT_MS} ms`)), ENGINE_PROBE_TIMEOUT_MS);
    });
    try {
      await Promise.race([this.engine.members(PROBE_TOPIC), timeout]);
      return { up: true, seconds: (performance.now() - started) / 1000 };
    } catch (error) {
      return { up: false, seconds: (performance.now() - started) / 1000, error: error instanceof Error ? error.message : String(error) };
    } finally {
      clearTimeout(timer);
    }
  }

  /** What the engine holds, by its own accounting (`Engine.stats`), or its topic count when it keeps none. */
  async holdings(): Promise<{ topics: number; messages: number; bytes: number; evictions: number }> {
    const stats = this.engine.stats?.();
    if (stats !== undefined) return stats;
    return { topics: (await this.engine.topics('>')).length, messages: Number.NaN, bytes: Number.NaN, evictions: Number.NaN };
  }

  async report(): Promise<HealthReport> {
    const { listening, closing } = this.state();
    const probe = await this.probeEngine();
    const engine = { up: probe.up, latencyMs: Math.round(probe.seconds * 1e6) / 1000, ...(probe.error !== undefined && { error: probe.error }) };
    return { status: listening && !closing && probe.up ? 'ready' : 'not_ready', listening, closing, engine };
  }

  /**
   * Answers `/healthz`, `/readyz` and (with a registry) `/metrics`; returns false for other paths.
   */
  serve(request: IncomingMessage, response: ServerResponse, metrics: { contentType: string; metrics(): Promise<string> } | undefined): boolean {
    const path = (request.url ?? '/').split('?', 1)[0];
    if (path === '/healthz') {
      reply(response, 200, 'application/json', JSON.stringify({ status: 'alive' }));
      return true;
    }
    if (path === '/readyz') {
      void this.report().then((report) => reply(response, report.status === 'ready' ? 200 : 503, 'application/json', JSON.stringify(report)));
      return true;
    }
    if (path === '/metrics' && metrics !== undefined) {
      metrics.metrics().then(
        (text) => reply(response, 200, metrics.contentType, text),
        (error: unknown) => reply(response, 500, 'text/plain; charset=utf-8', `metrics failed: ${String(error)}\n`),
      );
      return true;
    }
    return false;
  }
}

function reply(response: ServerResponse, status: number, contentType: string, body: string): void {
  response.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' });
  response.end(body);
}
