import './styles.css';
import './value-view.css';
import './feed-view.css';
import { type Client, type HeraldError, connect } from '@herald/client';
import { ConnectionStateView } from './connection-state.js';
import { FeedView } from './feed-view.js';
import { PresencePanel } from './presence-panel.js';
import { PublishForm } from './publish-form.js';
import { routerUrl } from './router-url.js';
import { formatClock } from './time-format.js';
import { FEED_PATTERN } from './topics.js';

function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (element === null) throw new Error(`the page has no #${id}`);
  return element as T;
}

/** `?name=Kirk` names the page; otherwise `Browser-1a2b`. */
function pageName(): string {
  const asked = new URLSearchParams(location.search).get('name')?.trim();
  if (asked) return asked.slice(0, 64);
  const bytes = crypto.getRandomValues(new Uint8Array(2));
  return `Browser-${[...bytes].map((b) => b.toString(16).padStart(2, '0')).join('')}`;
}

function browserLabel(): string {
  const agent = navigator.userAgent;
  const match = /(Firefox|Edg|Chrome|Safari)\/(\d+)/.exec(agent);
  if (match === null) return 'browser';
  return `${match[1] === 'Edg' ? 'Edge' : match[1]} ${match[2]}`;
}

const state = new ConnectionStateView(byId('state-pill'), byId('state'), byId('state-detail'));
const feed = new FeedView(byId('feed'), { limit: 60 });
const publishForm = new PublishForm(byId<HTMLFormElement>('publish-form'), byId('publish-status'));
const feedCount = byId('feed-count');
const feedEmpty = byId('feed-empty');
const notices = byId('notices');

function notice(text: string): void {
  const line = document.createElement('li');
  line.append(Object.assign(document.createElement('time'), { textContent: formatClock(new Date()) }), ` ${text}`);
  notices.prepend(line);
  notices.hidden = false;
  while (notices.childElementCount > 5) notices.lastElementChild?.remove();
}

for (const tab of document.querySelectorAll<HTMLButtonElement>('[data-feed-filter]')) {
  tab.addEventListener('click', () => {
    for (const other of document.querySelectorAll('[data-feed-filter]')) other.setAttribute('aria-pressed', String(other === tab));
    feed.setFilter(tab.dataset.feedFilter === '' ? undefined : tab.dataset.feedFilter);
  });
}
byId('reconnect').addEventListener('click', () => location.reload());

async function start(): Promise<void> {
  const name = pageName();
  byId('self-name').textContent = name;
  const url = routerUrl(location.href);
  state.show('connecting', url);
  let client: Client;
  try {
    client = await connect(url, { name, info: { kind: 'browser', agent: browserLabel() } });
  } catch (error) {
    state.show('closed', describe(error));
    return;
  }
  state.show(client.state, `router ${client.url}`);
  client.on('statechange', (change) => {
    state.showChange(change);
    publishForm.setEnabled(change.to === 'open');
  });
  client.on('error', (error: HeraldError) => notice(`${error.code}: ${error.message}`));

  // Subscribe first: the presence snapshot that follows then already lists this page.
  await client.subscribe(FEED_PATTERN, (data, meta) => {
    feed.add(data, meta);
    feedCount.textContent = String(feed.received);
    feedEmpty.hidden = true;
  });
  const presence = new PresencePanel(
    { list: byId('presence-list'), count: byId('presence-count'), empty: byId('presence-empty'), activity: byId('presence-activity') },
    client.id,
  );
  presence.attach(await client.presence(FEED_PATTERN));
  publishForm.attach(client);
}

function describe(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  return typeof code === 'string' ? `${code}: ${message}` : message;
}

start().catch((error: unknown) => {
  // The connection went away between two steps of the start: the state pill already says so.
  notice(`could not start: ${describe(error)}`);
});
