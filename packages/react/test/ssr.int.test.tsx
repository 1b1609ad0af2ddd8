/**
 * Server rendering: the hooks render their idle state and nothing connects (the provider connects
 * in an effect, which never runs on the server). Node environment, React's `renderToString`.
 */
import type { WebSocketConstructor } from '@herald/client';
import { startRouter } from '@herald/testkit';
import { renderToString } from 'react-dom/server';
import { expect, it } from 'vitest';
import WebSocket from 'ws';
import { HeraldProvider, useConnectionState, useHerald, usePresence, usePublish, useSubscription } from '../src/index.js';

it('renders the idle state on the server and opens no socket', async () => {
  await using router = await startRouter();
  const connects: string[] = [];
  router.on('connect', (client) => connects.push(client.name));
  let constructed = 0;
  const Counting = class extends (WebSocket as unknown as WebSocketConstructor) {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols);
      constructed++;
    }
  };
  function Page() {
    const client = useHerald();
    const state = useConnectionState();
    const { data, state: subscription, messages } = useSubscription('sensors.>', { keep: 5, rewind: 1 });
    const { count, state: presence } = usePresence('sensors.>');
    const { pending } = usePublish();
    return (
      <p>
        {`${client === undefined}|${state}|${subscription}|${String(data)}|${messages.length}|${presence}|${count}|${pending}`}
      </p>
    );
  }
  const html = renderToString(
    <HeraldProvider url={router.url} options={{ WebSocket: Counting }}>
      <Page />
    </HeraldProvider>,
  );
  expect(html).toBe('<p>true|idle|idle|undefined|0|idle|0|false</p>');
  await using probe = await import('@herald/client').then((m) => m.connect(router.url, { name: 'probe' }));
  await probe.ping();
  expect(constructed).toBe(0);
  expect(connects).toEqual(['probe']);
});
