import './styles.css';
import './value-view.css';
import './feed-view.css';
import { type Client, type HeraldError, type Recovery, connect } from '@herald/client';
import { ClusterPanel, fetchCluster } from './cluster-panel.js';
import { ConnectionStateView } from './connection-state.js';
import { FeedView } from './feed-view.js';
import { PresencePanel } from './presence-panel.js';
import { PublishForm } from './publish-form.js';
import { RequestPanel } from './request-panel.js';
import { routerUrl } from './router-url.js';
import { formatClock } from './time-format.js';
import { FEED_PATTERN, REWIND } from './topics.js';

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

/** Signs in on the demo server: a short-lived JWT for this name (server/sign-in.ts). */
async function signIn(name: string): Promise<string> {
  const response = await fetch(`/herald-token?name=${encodeURIComponent(name)}`, { cache: 'no-store' });
  if (!response.ok) throw new Error(`sign-in failed: HTTP ${response.status}`);
  const { token } = (await response.json()) as { token: string };
  return token;
}

function browserLabel(): string {
  const agent = navigator.userAgent;
  const match = /(Firefox|Edg|Chrome|Safari)\/(\d+)/.exec(agent);
  if (match === null) return 'browser';
  return `${match[1] === 'Edg' ? 'Edge' : match[1]} ${match[2]}`;
}

const state = new ConnectionStateView(byId('state-pill'), byId('state'), byId('state-detail'));
const feed = new FeedView(byId('feed'), { limit: 100 });
const publishForm = new PublishForm(byId<HTMLFormElement>('publish-form'), byId('publish-status'));
const requests = new RequestPanel({
  stats: byId<HTMLButtonElement>('request-stats'),
  statsResult: byId('stats-result'),
  forecast: byId<HTMLFormElement>('forecast-form'),
  forecastResult: byId('forecast-result'),
});
const feedCount = byId('feed-count');
const feedEmpty = byId('feed-empty');
const notices = byId('notices');
const recoveryBox = byId('recovery');
const recoveryText = byId('recovery-text');
byId('recovery-dismiss').addEventListener('click', () => (recoveryBox.hidden = true));

const GAP_REASONS: Readonly<Record<string, string>> = {
  epoch_changed: 'the router restarted, and its history started over',
  history_evicted: "the router's history no longer reaches back that far",
};

/**
 * After a reconnect: say how the feed came back. `recovered: false` means messages may be missing
 * on those topics (the app should refetch what it derives from them); the notice stays until dismissed.
 */
function showRecovery(recovery: Recovery, replayed: number): void {
  recoveryBox.dataset.recovered = String(recovery.recovered);
  if (recovery.recovered) {
    recoveryBox.removeAttribute('data-reason');
    recoveryText.textContent =
      replayed === 0 ? 'Back online: nothing was missed.' : `Back online: ${replayed} missed message${replayed === 1 ? '' : 's'} replayed, none lost.`;
  } else {
    recoveryBox.dataset.reason = recovery.reason ?? 'unknown';
    const topics = recovery.gaps.length > 4 ? `${recovery.gaps.slice(0, 4).join(', ')} and ${recovery.gaps.length - 4} more` : recovery.gaps.join(', ');
    recoveryText.textContent =
      `Back online, but messages may be missing${topics === '' ? '' : ` on ${topics}`} ` +
      `(${recovery.reason ?? 'unknown'}: ${GAP_REASONS[recovery.reason ?? ''] ?? 'no detail'}). ` +
      `${replayed > 0 ? `${replayed} replayed. ` : ''}Refetch anything derived from them.`;
  }
  recoveryBox.hidden = false;
}

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
  // A cluster demo (`pnpm demo --cluster 3`) lists its routers: the client rotates through them.
  const cluster = await fetchCluster().catch(() => undefined);
  const url = cluster === undefined ? routerUrl(location.href) : cluster.map((router) => router.url);
  if (cluster !== undefined) {
    new ClusterPanel(
      { panel: byId('cluster-panel'), list: byId('cluster-list'), kill: byId<HTMLButtonElement>('cluster-kill'), status: byId('cluster-status') },
      () => name,
    ).start(cluster);
  }
  state.show('connecting', typeof url === 'string' ? url : url.join(', '));
  let client: Client;
  try {
    // Signed in: the token function runs before every connection and before the token expires.
    client = await connect(url, { name, info: { kind: 'browser', agent: browserLabel() }, token: () => signIn(name) });
  } catch (error) {
    state.show('closed', describe(error));
    return;
  }
  state.show(client.state, `router ${cluster === undefined ? '' : `${client.router.name} `}${client.url}`);
  byId('self-user').textContent = client.user ?? 'guest';
  client.on('statechange', (change) => {
    state.showChange(change);
    // While reconnecting, publishes and requests wait in the client's offline queue.
    publishForm.setEnabled(change.to !== 'closed');
    requests.setEnabled(change.to !== 'closed');
  });
  client.on('reconnect', (attempt) => state.showAttempt(attempt));
  client.on('error', (error: HeraldError) => notice(`${error.code}: ${error.message}`));

  // Subscribe first: the presence snapshot that follows then already lists this page. The rewind
  // brings the latest message of each topic at once; after a reconnect the subscription replays
  // what the page missed, and its `recovery` event says whether anything is lost.
  let replayedSinceDrop = 0;
  const subscription = await client.subscribe(
    FEED_PATTERN,
    (data, meta) => {
      if (meta.replayed) replayedSinceDrop += 1;
      feed.add(data, meta);
      feedCount.textContent = String(feed.received);
      feedEmpty.hidden = true;
    },
    { rewind: REWIND },
  );
  subscription.on('recovery', (recovery) => {
    // The event comes before the replayed messages, which are delivered right after it, in the
    // same task: count them first.
    queueMicrotask(() => {
      showRecovery(recovery, replayedSinceDrop);
      replayedSinceDrop = 0;
    });
  });
  client.on('statechange', (change) => {
    if (change.to === 'reconnecting') replayedSinceDrop = 0;
  });
  const presence = new PresencePanel(
    { list: byId('presence-list'), count: byId('presence-count'), empty: byId('presence-empty'), activity: byId('presence-activity') },
    // The client keeps its id across reconnects when the router resumes its session, else gets a new one.
    () => client.id,
  );
  presence.attach(await client.presence(FEED_PATTERN));
  publishForm.attach(client);
  requests.attach(client);
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
