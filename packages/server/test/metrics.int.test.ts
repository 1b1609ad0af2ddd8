/**
 * Prometheus metrics and the health endpoints over real HTTP: known traffic through a real router
 * and real clients, then `/metrics` scraped and its values asserted; `/healthz` and `/readyz` as a
 * load balancer sees them, with the engine reachable and not. See README, "Operations".
 */
import { connect } from '@herald/client';
import { ErrorCode, HeraldError } from '@herald/protocol';
import { EngineWrapper, expectError, nextEvent, rejection, startRouter } from '@herald/testkit';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';

/** The router's HTTP base URL (the same port as its WebSocket). */
function httpOf(router: { readonly url: string }): string {
  return router.url.replace(/^ws/, 'http').replace(/\/$/, '');
}

/** Scrapes `url` and returns each sample (`name{labels}` → value). */
async function scrape(url: string): Promise<Map<string, number>> {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  const samples = new Map<string, number>();
  for (const line of (await response.text()).split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    samples.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return samples;
}

describe('/metrics', () => {
  it('counts known traffic: connects, disconnects by reason, publishes, deliveries, requests, history, bytes', async () => {
    await using router = await startRouter({ metrics: true });
    const subscriber = await connect(router.url, { name: 'subscriber', reconnect: false });
    await using publisher = await connect(router.url, { name: 'publisher', reconnect: false });
    let received = 0;
    const allThree = new Promise<void>((resolve) => {
      void subscriber.subscribe('sensors.>', () => ++received === 3 && resolve());
    });
    await subscriber.subscribe('chat.lobby');
    await publisher.presence('chat.lobby');
    for (let i = 0; i < 3; i++) await publisher.publish(`sensors.room${i % 2}.temp`, { at: new Date(i), celsius: 20n + BigInt(i) });
    await allThree;
    await publisher.handle('math.double', (n) => (n as number) * 2);
    await publisher.handle('math.fail', () => {
      throw Object.assign(new Error('no'), { code: 'BAD_NUMBER' });
    });
    expect(await subscriber.request('math.double', 21)).toBe(42);
    expect(await router.request('math.double', 1)).toBe(2);
    expectError(await rejection(subscriber.request('math.fail', 1)), HeraldError, 'BAD_NUMBER');
    expectError(await rejection(subscriber.request('nobody.home', 1)), HeraldError, ErrorCode.NO_HANDLER);

    let m = await scrape(`${httpOf(router)}/metrics`);
    expect(m.get('herald_connections')).toBe(2);
    expect(m.get('herald_connects_total')).toBe(2);
    expect(m.get('herald_subscriptions')).toBe(2); // sensors.> and chat.lobby
    expect(m.get('herald_presence_watches')).toBe(1);
    expect(m.get('herald_publications_total')).toBe(3);
    expect(m.get('herald_deliveries_total')).toBe(3);
    expect(m.get('herald_frames_encoded_total')).toBe(3);
    expect(m.get('herald_engine_publish_seconds_count{result="ok"}')).toBe(3);
    expect(m.get('herald_topics')).toBe(2);
    expect(m.get('herald_history_messages')).toBe(3);
    expect(m.get('herald_methods')).toBe(2);
    expect(m.get('herald_requests_total{outcome="ok"}')).toBe(2);
    expect(m.get('herald_requests_total{outcome="remote_error"}')).toBe(1);
    expect(m.get('herald_requests_total{outcome="NO_HANDLER"}')).toBe(1);
    expect(m.get('herald_request_duration_seconds_count{outcome="ok"}')).toBe(2);
    expect(m.get('herald_request_duration_seconds_count{outcome="remote_error"}')).toBe(1);
    expect(m.get('herald_engine_up')).toBe(1);
    expect(m.get('herald_slow_consumers_total')).toBe(0);
    const bytesIn = m.get('herald_received_bytes_total')!;
    const bytesOut = m.get('herald_sent_bytes_total')!;
    expect(bytesIn).toBeGreaterThan(0);
    expect(bytesOut).toBeGreaterThan(0);

    const gone = nextEvent((listener) => router.on('disconnect', listener));
    await subscriber.close();
    await gone;
    m = await scrape(`${httpOf(router)}/metrics`);
    expect(m.get('herald_connections')).toBe(1);
    expect(m.get('herald_disconnects_total{reason="normal",leave="closed"}')).toBe(1);
    expect(m.get('herald_subscriptions')).toBe(0);
    // A closed connection's bytes stay counted.
    expect(m.get('herald_received_bytes_total')).toBeGreaterThanOrEqual(bytesIn);
    expect(m.get('herald_sent_bytes_total')).toBeGreaterThanOrEqual(bytesOut);
  });

  it('labels a cut client abnormal and dropped, one closed by the router normal and dropped', async () => {
    await using router = await startRouter({ metrics: true });
    await using cut = await connect(router.url, { name: 'cut', reconnect: false });
    await using sent = await connect(router.url, { name: 'sent', reconnect: false });
    let gone = nextEvent((listener) => router.on('disconnect', listener));
    router.disconnect(cut.id, { terminate: true });
    expect((await gone)[1]).toMatchObject({ code: 1006, leave: 'dropped' });
    gone = nextEvent((listener) => router.on('disconnect', listener));
    router.disconnect(sent.id);
    expect((await gone)[1]).toMatchObject({ code: 1000, leave: 'dropped' });
    const m = await scrape(`${httpOf(router)}/metrics`);
    expect(m.get('herald_disconnects_total{reason="abnormal",leave="dropped"}')).toBe(1);
    expect(m.get('herald_disconnects_total{reason="normal",leave="dropped"}')).toBe(1);
    expect(m.get('herald_connections')).toBe(0);
  });

  it('counts rate-limit refusals by operation', async () => {
    await using router = await startRouter({ metrics: true, limits: { publishes: { perSec: 1, burst: 2 } } });
    await using client = await connect(router.url, { reconnect: false });
    await client.publish('a.b', 1);
    await client.publish('a.b', 2);
    expectError(await rejection(client.publish('a.b', 3)), HeraldError, 'RATE_LIMITED');
    const m = await scrape(`${httpOf(router)}/metrics`);
    expect(m.get('herald_rate_limited_total{operation="publish"}')).toBe(1);
    expect(m.get('herald_publications_total')).toBe(2);
  });

  it('registers into the application’s own registry, and serves on a separate port', async () => {
    const registry = new Registry();
    await using router = await startRouter({ metrics: { registry, port: 0, prefix: 'chat_' } });
    expect(router.metrics).toBe(registry);
    await using client = await connect(router.url, { reconnect: false });
    await client.publish('news.today', 'hello');
    expect(await registry.getSingleMetricAsString('chat_publications_total')).toMatch(/chat_publications_total 1$/m);
    expect(router.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const m = await scrape(router.metricsUrl!);
    expect(m.get('chat_publications_total')).toBe(1);
    expect(m.get('chat_connections')).toBe(1);
    // Not on the router's public port: only health is there.
    expect((await fetch(`${httpOf(router)}/metrics`)).status).toBe(426);
    expect((await fetch(router.metricsUrl!.replace('/metrics', '/readyz'))).status).toBe(200);
  });

  it('is off by default: no prom-client registry, /metrics refused', async () => {
    await using router = await startRouter();
    expect(router.metrics).toBeUndefined();
    expect((await fetch(`${httpOf(router)}/metrics`)).status).toBe(426);
  });
});

describe('/healthz and /readyz', () => {
  it('alive and ready with a reachable engine; JSON bodies', async () => {
    await using router = await startRouter();
    const alive = await fetch(`${httpOf(router)}/healthz`);
    expect(alive.status).toBe(200);
    expect(await alive.json()).toStrictEqual({ status: 'alive' });
    const ready = await fetch(`${httpOf(router)}/readyz`);
    expect(ready.status).toBe(200);
    const body = (await ready.json()) as { status: string; listening: boolean; closing: boolean; engine: { up: boolean } };
    expect(body).toMatchObject({ status: 'ready', listening: true, closing: false, engine: { up: true } });
  });

  it('not ready (503) while the engine fails, ready again once it answers; engine_up follows', async () => {
    let failing = true;
    class Flaky extends EngineWrapper {
      override members(topic: string) {
        return failing ? Promise.reject(new Error('engine unreachable')) : super.members(topic);
      }
    }
    await using router = await startRouter({ engine: new Flaky(), metrics: true });
    const down = await fetch(`${httpOf(router)}/readyz`);
    expect(down.status).toBe(503);
    expect(await down.json()).toMatchObject({ status: 'not_ready', listening: true, engine: { up: false, error: 'engine unreachable' } });
    expect((await fetch(`${httpOf(router)}/healthz`)).status).toBe(200); // alive all the same
    expect((await scrape(`${httpOf(router)}/metrics`)).get('herald_engine_up')).toBe(0);
    expect((await router.health()).status).toBe('not_ready');
    failing = false;
    expect((await fetch(`${httpOf(router)}/readyz`)).status).toBe(200);
    expect((await scrape(`${httpOf(router)}/metrics`)).get('herald_engine_up')).toBe(1);
  });

  it('other paths still answer 426: this is a WebSocket endpoint', async () => {
    await using router = await startRouter();
    expect((await fetch(`${httpOf(router)}/`)).status).toBe(426);
  });
});
