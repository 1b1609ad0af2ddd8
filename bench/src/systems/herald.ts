/** Herald: `createRouter` and `connect` from this repository, superjson codec (the default). */
import { connect } from '@herald/client';
import { createRouter } from '@herald/server';
import { type BenchPayload, type SystemAdapter, withTimeout } from './system.js';

export const herald: SystemAdapter = {
  async startServer({ onError }) {
    const router = await createRouter({ host: '127.0.0.1', port: 0, logger: false, maxConnections: 100_000 });
    router.on('error', onError);
    return {
      url: router.url,
      publish(topic, data) {
        router.publish(topic, data).catch(onError);
      },
      close: () => router.close(),
    };
  },

  async connect(url, { topic, onMessage, onError }, timeoutMs) {
    const client = await connect(url, { connectTimeoutMs: timeoutMs });
    if (onError !== undefined) client.on('error', onError);
    if (topic !== undefined) {
      const handler = onMessage === undefined ? undefined : (data: unknown) => onMessage(data as BenchPayload);
      try {
        await withTimeout(client.subscribe(topic, handler), timeoutMs, 'herald subscribe');
      } catch (error) {
        void client.close();
        throw error;
      }
    }
    return { close: () => void client.close().catch(() => undefined) };
  },
};
