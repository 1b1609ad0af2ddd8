import { type FormEvent, useState } from 'react';
import { useConnectionState, usePresence, usePublish, useRequest, useSubscription } from './hooks.js';

export function Dashboard() {
  const [showSensors, setShowSensors] = useState(true);
  return (
    <main>
      <h1>
        Herald dashboard <ConnectionBadge />
      </h1>
      <label>
        <input id="show-sensors" type="checkbox" checked={showSensors} onChange={(e) => setShowSensors(e.target.checked)} /> sensors
      </label>
      {showSensors && (
        <>
          <LatestReading />
          <RecentReadings />
          <Watchers />
        </>
      )}
      <Chat />
      <Stats />
    </main>
  );
}

function ConnectionBadge() {
  return <span id="state">{useConnectionState()}</span>;
}

/** The latest temperature: a second component on the same pattern shares its subscription. */
function LatestReading() {
  const { data, meta, state } = useSubscription('sensors.*.temp', { rewind: 1 });
  return (
    <section>
      <h2>Latest</h2>
      <p id="subscription-state">{state}</p>
      <p id="latest">{data === undefined ? '-' : `${meta?.topic} ${data.celsius.toFixed(1)} °C at ${data.at.toISOString()}`}</p>
    </section>
  );
}

function RecentReadings() {
  const { messages } = useSubscription('sensors.*.temp', { keep: 5 });
  return (
    <ol id="recent">
      {messages.map(({ data, meta }) => (
        <li key={`${meta.topic}:${meta.epoch}:${meta.offset}`}>
          {meta.topic} {data.celsius.toFixed(1)}
        </li>
      ))}
    </ol>
  );
}

/** Who watches the sensors: everyone subscribed to `sensors.*.temp`, this page included. */
function Watchers() {
  const { members, count } = usePresence('sensors.*.temp');
  return (
    <section>
      <h2>
        Watching: <span id="presence-count">{count}</span>
      </h2>
      <ul id="presence">
        {members.map((member) => (
          <li key={member.id}>{member.name}</li>
        ))}
      </ul>
    </section>
  );
}

function Chat() {
  const { messages } = useSubscription('chat.>', { keep: 20 });
  const { publish, pending, error } = usePublish();
  const [text, setText] = useState('');
  const send = (event: FormEvent) => {
    event.preventDefault();
    void publish('chat.lobby', { from: 'dashboard', text }).then((ack) => ack && setText(''));
  };
  return (
    <section>
      <h2>Chat</h2>
      <ul id="chat">
        {messages.map(({ data, meta }) => (
          <li key={meta.offset}>
            {data.from}: {data.text}
          </li>
        ))}
      </ul>
      <form onSubmit={send}>
        <input id="chat-text" value={text} onChange={(e) => setText(e.target.value)} />
        <button id="chat-send" type="submit" disabled={pending}>
          send
        </button>
        {error && <span id="chat-error">{error.code}</span>}
      </form>
    </section>
  );
}

function Stats() {
  const { request, data, pending, error } = useRequest('stats.get');
  return (
    <section>
      <h2>Stats</h2>
      <button id="stats" type="button" disabled={pending} onClick={() => void request({ since: new Date(0) })}>
        ask
      </button>
      <p id="stats-result">{error ? error.code : data ? `${data.clients} clients, up ${data.uptime}s` : '-'}</p>
    </section>
  );
}
