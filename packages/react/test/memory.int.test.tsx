// @vitest-environment happy-dom
/**
 * The testkit README's dashboard example: a component that shows presence, tested over the memory
 * transport (no socket between the clients and the router).
 */
import { type Client, connect } from '@herald/client';
import type { ClientInfo } from '@herald/server';
import { Log, memoryTransport, startMemoryRouter } from '@herald/testkit';
import { cleanup, render, screen, waitFor } from '@testing-library/react';
import { afterEach, expect, it } from 'vitest';
import { HeraldProvider, usePresence } from '../src/index.js';

function Crew() {
  const { members } = usePresence('bridge');
  return (
    <ul>
      {members.map((m) => (
        <li key={m.id}>{m.name}</li>
      ))}
    </ul>
  );
}

const closers: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  cleanup();
  for (const closer of closers.splice(0).reverse()) await closer.close();
});

it('a dashboard component lists who is on the bridge, over the memory transport', async () => {
  const router = await startMemoryRouter();
  closers.push(router);
  const connects = new Log<ClientInfo>();
  router.on('connect', connects.push);
  const net = memoryTransport(router);
  render(
    <HeraldProvider url="memory://router" options={{ name: 'screen', WebSocket: net.WebSocket }}>
      <Crew />
    </HeraldProvider>,
  );
  const kirk: Client = await connect('memory://router', { name: 'Kirk', WebSocket: net.WebSocket, reconnect: false });
  closers.push(kirk);
  await kirk.subscribe('bridge');
  await waitFor(() => expect(screen.getAllByRole('listitem').map((li) => li.textContent)).toEqual(['Kirk']));
  net.cut('Kirk');
  await waitFor(() => expect(screen.queryAllByRole('listitem')).toEqual([]));
  expect((await connects.until(2)).map((c) => c.address)).toEqual(['memory', 'memory']);
});
