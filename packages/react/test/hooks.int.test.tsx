// @vitest-environment happy-dom
/**
 * The hooks against a real router on port 0, rendered with React Testing Library in happy-dom.
 * Frames the client sends are recorded (the router receives exactly those), so tests count
 * `subscribe` frames rather than trusting the hooks' bookkeeping.
 */
import { type Client, connect } from '@herald/client';
import type { ClientInfo, DisconnectDetail, Router } from '@herald/server';
import { Log, recordingWebSocket, startRouter } from '@herald/testkit';
import { act, cleanup, render, screen, waitFor } from '@testing-library/react';
import { StrictMode, useState } from 'react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  HeraldProvider,
  createHeraldHooks,
  useConnectionState,
  useHerald,
  usePresence,
  usePublish,
  useRequest,
  useSubscription,
} from '../src/index.js';

type Schema = {
  topics: { 'sensors.*.temp': { at: Date; celsius: number }; 'chat.>': string };
  methods: { 'math.add': { params: [number, number]; result: number } };
};
const typed = createHeraldHooks<Schema>();

let router: Router;
let sent: string[];
/** The subprotocols each socket offered (the hello travels in the upgrade request). */
let offers: string[][];
let others: Client[];

beforeEach(async () => {
  router = await startRouter();
  sent = [];
  offers = [];
  others = [];
});

afterEach(async () => {
  cleanup();
  for (const client of others) await client.close();
  await router.close();
});

/** The frames of `type` the client sent, in order. */
function framesOf(type: string): Array<Record<string, unknown>> {
  return sent.map((frame) => JSON.parse(frame) as Record<string, unknown>).filter((frame) => frame.type === type);
}

async function other(name: string): Promise<Client<Schema>> {
  const client = await connect<Schema>(router.url, { name });
  others.push(client as unknown as Client);
  return client;
}

function Provider({ children, name = 'page' }: { children: React.ReactNode; name?: string }) {
  return (
    <HeraldProvider url={router.url} options={{ name, WebSocket: recordingWebSocket(sent, offers) }}>
      {children}
    </HeraldProvider>
  );
}

function ConnectionState() {
  return <p data-testid="state">{useConnectionState()}</p>;
}

function Temperature({ pattern = 'sensors.*.temp', id = 'temp' }: { pattern?: 'sensors.*.temp' | 'sensors.hall.temp'; id?: string }) {
  const { data, meta, state } = typed.useSubscription(pattern);
  return (
    <p data-testid={id}>
      {state}:{meta?.topic ?? '-'}:{data === undefined ? '-' : `${data.celsius}@${data.at.toISOString()}`}
    </p>
  );
}

describe('HeraldProvider', () => {
  it('connects once under StrictMode, shares the client, and closes on unmount', async () => {
    const connects = new Log<ClientInfo>();
    const disconnects = new Log<[ClientInfo, DisconnectDetail]>();
    router.on('connect', connects.push);
    router.on('disconnect', (client, detail) => disconnects.push([client, detail]));
    let seen: Client | undefined;
    function Peek() {
      seen = useHerald() as Client | undefined;
      return null;
    }
    const view = render(
      <StrictMode>
        <Provider name="strict">
          <ConnectionState />
          <Peek />
        </Provider>
      </StrictMode>,
    );
    await waitFor(() => expect(screen.getByTestId('state').textContent).toBe('open'));
    expect(connects.values.map((c) => c.name)).toEqual(['strict']);
    expect(router.clients().map((c) => c.name)).toEqual(['strict']);
    expect(seen?.name).toBe('strict');
    // One socket, whose hello went in the upgrade request (no hello frame).
    expect(offers.map((offer) => offer.filter((p) => p.startsWith('herald.v1.hello.')).length)).toEqual([1]);
    expect(framesOf('hello')).toHaveLength(0);

    view.unmount();
    const [[client, detail]] = (await disconnects.until(1)) as [[ClientInfo, DisconnectDetail]];
    expect(client.name).toBe('strict');
    expect(detail.code).toBe(1000);
    expect(seen?.state).toBe('closed');
    expect(connects.values).toHaveLength(1);
  });

  it('shares a client it is given and leaves it open on unmount', async () => {
    const client = await other('given');
    const view = render(
      <HeraldProvider client={client}>
        <ConnectionState />
      </HeraldProvider>,
    );
    expect(screen.getByTestId('state').textContent).toBe('open');
    view.unmount();
    expect(client.state).toBe('open');
    await client.ping(); // still usable
  });

  it('shows the state through a reconnect', async () => {
    const states: string[] = [];
    function States() {
      const state = useConnectionState();
      if (states.at(-1) !== state) states.push(state);
      return <p data-testid="state">{state}</p>;
    }
    render(
      <Provider name="flaky">
        <States />
      </Provider>,
    );
    await waitFor(() => expect(screen.getByTestId('state').textContent).toBe('open'));
    const [flaky] = router.clients();
    router.disconnect(flaky!.id, { code: 1012 });
    await waitFor(() => expect(states).toContain('reconnecting'));
    await waitFor(() => expect(screen.getByTestId('state').textContent).toBe('open'), { timeout: 15_000 });
    expect(states).toEqual(['idle', 'connecting', 'open', 'reconnecting', 'open']);
  });
});

describe('useSubscription', () => {
  it('shows the latest message with its rich types and meta', async () => {
    render(
      <Provider>
        <Temperature />
      </Provider>,
    );
    await waitFor(() => expect(screen.getByTestId('temp').textContent).toBe('subscribed:-:-'));
    const sensors = await other('sensors');
    await sensors.publish('sensors.kitchen.temp', { at: new Date(0), celsius: 21.5 });
    await waitFor(() => expect(screen.getByTestId('temp').textContent).toBe('subscribed:sensors.kitchen.temp:21.5@1970-01-01T00:00:00.000Z'));
    await sensors.publish('sensors.hall.temp', { at: new Date(1000), celsius: 19 });
    await waitFor(() => expect(screen.getByTestId('temp').textContent).toBe('subscribed:sensors.hall.temp:19@1970-01-01T00:00:01.000Z'));
  });

  it('subscribes once per pattern however many components use it, under StrictMode, and unsubscribes after the last', async () => {
    const subscribes = new Log<string>();
    const unsubscribes = new Log<string>();
    router.on('subscribe', (_client, pattern) => subscribes.push(pattern));
    router.on('unsubscribe', (_client, pattern) => unsubscribes.push(pattern));
    let setCount: (n: number) => void = () => undefined;
    function Many() {
      const [count, set] = useState(3);
      setCount = set;
      return (
        <>
          {Array.from({ length: count }, (_, i) => (
            <Temperature key={i} id={`t${i}`} />
          ))}
        </>
      );
    }
    render(
      <StrictMode>
        <Provider>
          <Many />
          <Temperature pattern="sensors.hall.temp" id="hall" />
        </Provider>
      </StrictMode>,
    );
    await waitFor(() => expect(screen.getByTestId('t2').textContent).toBe('subscribed:-:-'));
    await waitFor(() => expect(screen.getByTestId('hall').textContent).toBe('subscribed:-:-'));
    expect(framesOf('subscribe').map((f) => f.pattern).sort()).toEqual(['sensors.*.temp', 'sensors.hall.temp']);
    expect(subscribes.values.sort()).toEqual(['sensors.*.temp', 'sensors.hall.temp']);

    const sensors = await other('sensors');
    await sensors.publish('sensors.hall.temp', { at: new Date(0), celsius: 7 });
    await waitFor(() => {
      for (const id of ['t0', 't1', 't2', 'hall']) expect(screen.getByTestId(id).textContent).toBe('subscribed:sensors.hall.temp:7@1970-01-01T00:00:00.000Z');
    });

    act(() => setCount(1));
    await sensors.ping(); // the release runs a microtask later: give it a round trip
    expect(framesOf('unsubscribe')).toEqual([]);
    act(() => setCount(0));
    const [pattern] = await unsubscribes.until(1);
    expect(pattern).toBe('sensors.*.temp');
    expect(framesOf('unsubscribe').map((f) => f.pattern)).toEqual(['sensors.*.temp']);
    expect(framesOf('subscribe')).toHaveLength(2);
    expect(router.clients().find((c) => c.name === 'page')?.subscriptions).toEqual(['sensors.hall.temp']);
  });

  it('keeps a bounded list of recent messages, oldest first', async () => {
    function Chat() {
      const { messages } = typed.useSubscription('chat.>', { keep: 3 });
      return <p data-testid="chat">{messages.map((m) => m.data).join(',')}</p>;
    }
    function Latest() {
      const { messages, data } = typed.useSubscription('chat.>');
      return <p data-testid="latest">{`${messages.length}:${data ?? '-'}`}</p>;
    }
    render(
      <Provider>
        <Chat />
        <Latest />
      </Provider>,
    );
    const sub = await other('subscriber-probe');
    await waitFor(() => expect(router.clients().find((c) => c.name === 'page')?.subscriptions).toEqual(['chat.>']));
    const chatter = sub;
    for (const word of ['a', 'b', 'c', 'd', 'e']) await chatter.publish('chat.lobby', word);
    await waitFor(() => expect(screen.getByTestId('chat').textContent).toBe('c,d,e'));
    expect(screen.getByTestId('latest').textContent).toBe('0:e');
  });

  it('starts with the latest value when asked to rewind', async () => {
    const sensors = await other('sensors');
    await sensors.publish('sensors.attic.temp', { at: new Date(5), celsius: 30 });
    function Rewound() {
      const { data } = typed.useSubscription('sensors.*.temp', { rewind: 1 });
      return <p data-testid="rewound">{data?.celsius ?? '-'}</p>;
    }
    render(
      <Provider>
        <Rewound />
      </Provider>,
    );
    await waitFor(() => expect(screen.getByTestId('rewound').textContent).toBe('30'));
  });

  it('reports a refused pattern as an error state with its code', async () => {
    function Bad() {
      const { state, error } = useSubscription('bad..pattern' as 'x');
      return <p data-testid="bad">{`${state}:${error?.code ?? '-'}`}</p>;
    }
    render(
      <Provider>
        <Bad />
      </Provider>,
    );
    await waitFor(() => expect(screen.getByTestId('bad').textContent).toBe('error:PATTERN_INVALID'));
  });
});

describe('usePresence', () => {
  it('shows members and count, re-rendering on join and leave', async () => {
    function Who() {
      const { members, count, state } = usePresence('room.1');
      return <p data-testid="who">{`${state}:${count}:${members.map((m) => m.name).join(',')}`}</p>;
    }
    render(
      <StrictMode>
        <Provider>
          <Who />
          <Who />
        </Provider>
      </StrictMode>,
    );
    await waitFor(() => expect(screen.getAllByTestId('who')[0]!.textContent).toBe('ready:0:'));
    expect(framesOf('presence_watch')).toHaveLength(1);
    const kirk = await other('Kirk');
    const kirkSub = await kirk.subscribe('room.1' as never);
    await waitFor(() => expect(screen.getAllByTestId('who')[1]!.textContent).toBe('ready:1:Kirk'));
    const spock = await other('Spock');
    await spock.subscribe('room.1' as never);
    await waitFor(() => expect(screen.getAllByTestId('who')[0]!.textContent).toBe('ready:2:Kirk,Spock'));
    await kirkSub.unsubscribe();
    await waitFor(() => expect(screen.getAllByTestId('who')[1]!.textContent).toBe('ready:1:Spock'));
  });
});

describe('usePublish and useRequest', () => {
  it('publishes with pending state and the ack, and shows a refusal by its code', async () => {
    const received = new Log<unknown>();
    const listener = await other('listener');
    await listener.subscribe('chat.>', (data) => received.push(data));
    let api: ReturnType<typeof typed.usePublish> | undefined;
    function Publisher() {
      api = typed.usePublish();
      return <p data-testid="pub">{`${api.pending}:${api.data?.offset ?? '-'}:${api.error?.code ?? '-'}`}</p>;
    }
    render(
      <Provider>
        <ConnectionState />
        <Publisher />
      </Provider>,
    );
    await waitFor(() => expect(screen.getByTestId('state').textContent).toBe('open'));
    let ack: Promise<unknown> | undefined;
    act(() => {
      ack = api!.publish('chat.lobby', 'hello');
    });
    expect(screen.getByTestId('pub').textContent).toBe('true:-:-');
    await act(async () => {
      await ack;
    });
    expect(await ack).toMatchObject({ topic: 'chat.lobby', offset: 1 });
    expect(screen.getByTestId('pub').textContent).toBe('false:1:-');
    expect(await received.until(1)).toEqual(['hello']);

    await act(async () => {
      expect(await api!.publish('chat..bad' as 'chat.x', 'x')).toBeUndefined();
    });
    expect(screen.getByTestId('pub').textContent).toBe('false:1:TOPIC_INVALID');
    act(() => api!.reset());
    expect(screen.getByTestId('pub').textContent).toBe('false:-:-');
  });

  it('requests with pending state and the result, and shows NO_HANDLER', async () => {
    const provider = await other('calculator');
    let api: ReturnType<typeof typed.useRequest<'math.add'>> | undefined;
    function Adder() {
      api = typed.useRequest('math.add');
      return <p data-testid="add">{`${api.pending}:${api.data ?? '-'}:${api.error?.code ?? '-'}`}</p>;
    }
    render(
      <Provider>
        <ConnectionState />
        <Adder />
      </Provider>,
    );
    await waitFor(() => expect(screen.getByTestId('state').textContent).toBe('open'));
    await act(async () => {
      expect(await api!.request([1, 2])).toBeUndefined();
    });
    expect(screen.getByTestId('add').textContent).toBe('false:-:NO_HANDLER');
    const registration = await provider.handle('math.add', ([a, b]) => a + b);
    await act(async () => {
      expect(await api!.request([20, 22])).toBe(42);
    });
    expect(screen.getByTestId('add').textContent).toBe('false:42:-');
    await registration.unregister();
    void useRequest; // the untyped export exists too
  });
});
