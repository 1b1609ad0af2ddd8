/**
 * Herald: `createRouter` and `connect` from this repository, superjson codec (the default).
 * Requests are Herald's own: the caller's `client.request()` goes to the router, which routes it
 * to the provider's `client.handle()` and the reply back.
 */
import { type Client, type ConnectOptions, connect } from '@herald/client';
import { type Contract, createRouter, defineContract } from '@herald/server';
import { z } from 'zod';
import { type BenchPayload, ECHO_METHOD, type SystemAdapter, topicList, withTimeout } from './system.js';
import { BENCH_ROUTER_OPTIONS, benchHeartbeat } from './herald-options.js';

/** History kept for the recovery scenario: long enough that nothing expires during a run. */
const HISTORY_TTL_MS = 10 * 60_000;

async function open(url: string, timeoutMs: number, onError: ((error: unknown) => void) | undefined, extra: ConnectOptions = {}): Promise<Client> {
  const client = await connect(url, { connectTimeoutMs: timeoutMs, ...extra });
  if (onError !== undefined) client.on('error', onError);
  return client;
}

/**
 * The contract of `herald-contract`: every topic (`>`) carries the bench payload, checked by zod on
 * each publish (the router checks `router.publish` values as they are; a client's publish would
 * be decoded once first).
 */
const BENCH_CONTRACT = defineContract({
  topics: { '>': z.object({ seq: z.number().int(), sentAt: z.number(), at: z.date(), text: z.string() }) },
});

async function startHerald(
  { onError, historyLimit, heartbeatIntervalMs }: Parameters<SystemAdapter['startServer']>[0],
  contract: Contract | undefined,
): ReturnType<SystemAdapter['startServer']> {
    const router = await createRouter({
      ...(contract === undefined ? {} : { contract }),
      ...BENCH_ROUTER_OPTIONS,
      ...(historyLimit === undefined ? {} : { history: { limit: historyLimit, ttlMs: HISTORY_TTL_MS } }),
      ...(heartbeatIntervalMs === undefined ? {} : benchHeartbeat(heartbeatIntervalMs)),
    });
    router.on('error', onError);
    return {
      url: router.url,
      publish(topic, data) {
        router.publish(topic, data).catch(onError);
      },
      cutAll() {
        let cut = 0;
        for (const client of router.clients()) if (router.disconnect(client.id, { terminate: true })) cut++;
        return cut;
      },
      close: () => router.close(),
    };
}

export const herald: SystemAdapter = {
  startServer: (options) => startHerald(options, undefined),

  async connect(url, { topic, onMessage, onError, onReconnected }, timeoutMs) {
    // Reconnect at once (a jitter of 0) when someone waits for it; otherwise the defaults.
    const client = await open(url, timeoutMs, onError, onReconnected === undefined ? {} : { random: () => 0, reconnect: { maxAttempts: 20 } });
    if (onReconnected !== undefined) {
      client.on('statechange', (change) => {
        if (change.to === 'open' && change.from === 'reconnecting') onReconnected();
      });
    }
    if (topic !== undefined) {
      const handler = onMessage === undefined ? undefined : (data: unknown) => onMessage(data as BenchPayload);
      try {
        await withTimeout(Promise.all(topicList(topic).map((one) => client.subscribe(one, handler))), timeoutMs, 'herald subscribe');
      } catch (error) {
        void client.close();
        throw error;
      }
    }
    return { close: () => void client.close().catch(() => undefined) };
  },

  async provide(url, { onError }, timeoutMs) {
    const client = await open(url, timeoutMs, onError);
    try {
      await withTimeout(
        client.handle(ECHO_METHOD, (params) => params),
        timeoutMs,
        'herald handle',
      );
    } catch (error) {
      void client.close();
      throw error;
    }
    return { close: () => void client.close().catch(() => undefined) };
  },

  async caller(url, { onError }, timeoutMs) {
    const client = await open(url, timeoutMs, onError);
    return {
      request: (params, timeout) => client.request(ECHO_METHOD, params, { timeout }) as Promise<BenchPayload>,
      close: () => void client.close().catch(() => undefined),
    };
  },
};

/** Herald with a contract on every topic: the fan-out beside plain `herald` shows what checking costs. */
export const heraldContract: SystemAdapter = { ...herald, startServer: (options) => startHerald(options, BENCH_CONTRACT) };
