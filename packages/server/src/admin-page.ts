/**
 * The admin page: one self-contained HTML document (no build, no external requests). It asks for
 * the admin token, keeps it in sessionStorage, polls `api/state` every 2 s and renders with
 * textContent only (names and topics are untrusted). `__ADMIN_PATH__` is replaced when served.
 */
export const ADMIN_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Herald admin</title>
<style>
  :root { color-scheme: light dark; font: 14px/1.4 system-ui, sans-serif; }
  body { margin: 0 auto; max-width: 1100px; padding: 1rem 1.5rem 3rem; }
  h1 { font-size: 1.3rem; margin: 0 0 .2rem; } h2 { font-size: 1.05rem; margin: 1.6rem 0 .4rem; }
  table { border-collapse: collapse; width: 100%; } th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid #8884; vertical-align: top; }
  th { font-weight: 600; font-size: .85rem; opacity: .75; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
  code, .mono { font-family: ui-monospace, monospace; font-size: .9em; }
  .muted { opacity: .65; } .bad { color: #c33; } .ok { color: #2a8; }
  #stats { display: flex; flex-wrap: wrap; gap: .4rem 1.4rem; margin: .6rem 0; }
  #stats div span { font-weight: 600; font-variant-numeric: tabular-nums; }
  form { display: flex; gap: .5rem; margin: 2rem 0; } input { flex: 1; padding: .4rem; font: inherit; } button { font: inherit; padding: .3rem .7rem; cursor: pointer; }
  [hidden] { display: none !important; }
</style>
</head>
<body>
<h1>Herald admin</h1>
<div id="router" class="muted"></div>
<form id="login">
  <input id="token" type="password" autocomplete="current-password" placeholder="Admin token" aria-label="Admin token" required>
  <button type="submit">Open</button>
</form>
<p id="error" class="bad" role="alert"></p>
<main id="main" hidden>
  <div id="stats"></div>
  <h2>Connections <span id="client-count" class="muted"></span></h2>
  <table id="clients"><thead><tr><th>Name</th><th>Id</th><th>Address</th><th>Connected</th><th>Subscriptions</th><th>Info</th><th></th></tr></thead><tbody></tbody></table>
  <h2>Topics</h2>
  <table id="topics"><thead><tr><th>Topic</th><th>Rate (msg/s)</th><th>Published</th><th>History</th><th>Last</th></tr></thead><tbody></tbody></table>
  <h2>Presence</h2>
  <table id="presence"><thead><tr><th>Topic or pattern</th><th>Members</th></tr></thead><tbody></tbody></table>
  <h2>Methods</h2>
  <table id="methods"><thead><tr><th>Method</th><th>Providers</th></tr></thead><tbody></tbody></table>
</main>
<script>
const API = '__ADMIN_PATH__/api/';
const $ = (id) => document.getElementById(id);
let timer;
function cell(row, text, className) { const td = row.insertCell(); td.textContent = text; if (className) td.className = className; return td; }
function fill(id, items, render, empty) {
  const body = $(id).tBodies[0]; body.replaceChildren();
  if (items.length === 0) { const row = body.insertRow(); cell(row, empty, 'muted').colSpan = 9; return; }
  for (const item of items) render(body.insertRow(), item);
}
const time = (iso) => new Date(iso).toLocaleTimeString();
async function call(path, init) {
  const response = await fetch(API + path, { ...init, headers: { ...(init && init.headers), authorization: 'Bearer ' + sessionStorage.getItem('herald-admin-token') } });
  if (response.status === 401) { sessionStorage.removeItem('herald-admin-token'); throw new Error('The admin token was refused.'); }
  if (!response.ok && response.status !== 404) throw new Error('The router answered ' + response.status + '.');
  return response.json();
}
async function refresh() {
  clearTimeout(timer);
  try {
    const state = await call('state');
    $('error').textContent = ''; $('login').hidden = true; $('main').hidden = false;
    render(state);
    timer = setTimeout(refresh, 2000);
  } catch (error) {
    $('error').textContent = error.message;
    if (!sessionStorage.getItem('herald-admin-token')) { $('login').hidden = false; $('main').hidden = true; }
    else timer = setTimeout(refresh, 2000);
  }
}
function render(state) {
  const r = state.router, s = r.stats;
  $('router').textContent = r.name + ' at ' + r.url + ' · engine ' + (r.engineAvailable ? 'available' : 'UNAVAILABLE');
  $('router').className = r.engineAvailable ? 'muted' : 'bad';
  $('stats').replaceChildren(...[['Connections', s.connections], ['Subscriptions', s.subscriptions], ['Publications', s.publications], ['Deliveries', s.deliveries], ['Slow consumers', s.slowConsumers], ['Bytes in', s.bytesIn], ['Bytes out', s.bytesOut]].map(([label, value]) => {
    const div = document.createElement('div'); const span = document.createElement('span'); span.textContent = String(value); div.append(label + ' ', span); return div;
  }));
  $('client-count').textContent = '(' + state.clients.length + ')';
  fill('clients', state.clients, (row, c) => {
    row.dataset.id = c.id;
    cell(row, c.name); cell(row, c.id, 'mono'); cell(row, c.address, 'mono'); cell(row, time(c.connectedAt));
    cell(row, c.subscriptions.join(', '), 'mono'); cell(row, c.info ?? '', 'mono muted');
    const button = document.createElement('button'); button.textContent = 'Disconnect'; button.setAttribute('aria-label', 'Disconnect ' + c.name);
    button.onclick = async () => { button.disabled = true; try { await call('disconnect', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: c.id }) }); } catch (e) { $('error').textContent = e.message; } refresh(); };
    row.insertCell().append(button);
  }, 'No clients are connected.');
  fill('topics', state.topics, (row, t) => {
    cell(row, t.topic, 'mono'); cell(row, t.ratePerSec.toFixed(2), 'num'); cell(row, String(t.published), 'num'); cell(row, t.history === null ? '?' : String(t.history), 'num'); cell(row, time(t.lastAt));
  }, 'Nothing was published since the router started.');
  fill('presence', state.presence, (row, p) => { cell(row, p.topic, 'mono'); cell(row, p.members.map((m) => m.name).join(', ')); }, 'Nobody is subscribed.');
  fill('methods', state.methods, (row, m) => { cell(row, m.method, 'mono'); cell(row, m.providers.map((p) => p.name).join(', ')); }, 'No methods are provided.');
}
$('login').onsubmit = (event) => { event.preventDefault(); sessionStorage.setItem('herald-admin-token', $('token').value); $('token').value = ''; refresh(); };
if (sessionStorage.getItem('herald-admin-token')) refresh();
</script>
</body>
</html>
`;
