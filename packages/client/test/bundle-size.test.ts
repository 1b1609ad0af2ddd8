/**
 * The browser client's size budget (issue 6): what a page pays for connect, subscribe, publish and
 * presence, superjson included, built the way an app builds it (Vite, minified, browser build of
 * isomorphic-ws) and gzipped at level 9. Deterministic: same sources, same bytes.
 */
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { type Plugin, build, defaultClientConditions } from 'vite';
import { expect, it } from 'vitest';

/**
 * The enforced budget: a ratchet just above today's size, so the client cannot grow unnoticed.
 * Issue 6 asks for 10 KB (Socket.IO's client is 14.8 KB without rich types); the client is not
 * there yet (see bench/README.md, "Browser client size"), so the test prints the distance to it.
 * Lower it whenever the client shrinks.
 */
// issue 11: superjson itself is the codec now; the split budget follows. Issue 13: +0.5 KB for a
// list of router URLs, session resumption and exactly-once publish (ids, resend after a drop).
// Issue 15: +128 B for the client's hooks that check what it sends and receives against a contract
// (the checks live on the contract object: a page without one skips them).
const BUDGET_BYTES = 18.375 * 1024;
const TARGET_BYTES = 10 * 1024;

const CLIENT_DIR = fileURLToPath(new URL('..', import.meta.url));
const CLIENT_ENTRY = fileURLToPath(new URL('../src/index.ts', import.meta.url));
const PROTOCOL_DIR = fileURLToPath(new URL('../../protocol', import.meta.url));
const PROTOCOL_ENTRY = fileURLToPath(new URL('../../protocol/src/index.ts', import.meta.url));
/** The bench package depends on socket.io-client: the comparison is built from there. */
const BENCH_DIR = fileURLToPath(new URL('../../../bench', import.meta.url));

/** A page that uses everything the budget covers, so nothing it needs is tree-shaken away. */
const PAGE = `
import { connect } from ${JSON.stringify(CLIENT_ENTRY)};
const client = await connect('ws://' + location.host + '/', { name: 'page', info: { since: new Date() } });
const subscription = await client.subscribe('demo.>', (data, meta) => console.log(meta.topic, data));
await client.publish('demo.hello', { at: new Date(), tags: new Set(['a']) });
const presence = await client.presence('demo.>');
presence.on('change', (members) => console.log(members.length));
client.on('statechange', (change) => console.log(change.to));
console.log(presence.members());
await subscription.unsubscribe();
await client.close();
`;

/** Herald's implementation of superjson's format, with its checks and binary types. */
const CODEC_ONLY = `
import { superjsonCodec } from ${JSON.stringify(PROTOCOL_ENTRY)};
globalThis.codec = superjsonCodec;
`;

/** The superjson library, for comparison (the client does not contain it). */
const SUPERJSON_ONLY = `
import { SuperJSON } from 'superjson';
globalThis.superjson = new SuperJSON();
`;

/** Socket.IO's client doing the same (websocket transport, a room joined, an acknowledged emit), for comparison. */
const SOCKETIO_PAGE = `
import { io } from 'socket.io-client';
const socket = io('ws://' + location.host, { transports: ['websocket'] });
socket.on('message', (data) => console.log(data));
socket.emit('join', 'demo');
socket.emit('publish', { at: new Date() }, (ack) => console.log(ack));
`;

interface Size {
  minified: number;
  gzipped: number;
  /** Chunks the page loads up front. */
  chunks: number;
}

/**
 * Builds `code` as the only module of a page and measures it. `dir` is where the entry pretends to
 * live, so that its bare imports resolve from that package's dependencies.
 */
async function measure(code: string, dir: string): Promise<Size> {
  const entryId = `${dir}/__bundle-size-entry.js`;
  const entry: Plugin = {
    name: 'bundle-size-entry',
    resolveId: (id) => (id === entryId ? id : undefined),
    load: (id) => (id === entryId ? code : undefined),
  };
  // Vitest sets NODE_ENV=test, and Vite picks packages' `development` exports unless it is
  // `production` (socket.io-client's debug build, for one): build as an app's production build does.
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  const output = await build({
    configFile: false,
    envFile: false,
    logLevel: 'silent',
    root: dir,
    publicDir: false,
    mode: 'production',
    plugins: [entry],
    resolve: { conditions: ['herald-source', ...defaultClientConditions] },
    build: {
      write: false,
      minify: true,
      target: 'es2022',
      modulePreload: false,
      reportCompressedSize: false,
      rolldownOptions: { input: entryId },
    },
  }).finally(() => {
    process.env.NODE_ENV = nodeEnv;
  });
  const outputs = Array.isArray(output) ? output : [output];
  const chunks = outputs.flatMap((result) => ('output' in result ? result.output : [])).filter((item) => item.type === 'chunk');
  const byName = new Map(chunks.map((chunk) => [chunk.fileName, chunk]));
  const entries = chunks.filter((chunk) => chunk.isEntry);
  expect(entries).toHaveLength(1);
  // What the page loads up front: the entry and every chunk it imports statically (the bundler
  // may move modules shared with a lazy chunk into one of their own). Features loaded on first use
  // (requests) are chunks imported dynamically, fetched only by a page that calls them.
  const upFront = new Set<string>();
  const visit = (fileName: string): void => {
    if (upFront.has(fileName)) return;
    upFront.add(fileName);
    for (const imported of byName.get(fileName)!.imports) visit(imported);
  };
  visit(entries[0]!.fileName);
  for (const lazy of chunks.filter((c) => !upFront.has(c.fileName))) {
    expect(Object.keys(lazy.modules).some((id) => id.endsWith('/client/src/requests.ts'))).toBe(true);
  }
  // Every import resolved to a chunk of the build: nothing left for the page to find (a Node `ws`
  // would show up here as an import of its own).
  for (const fileName of upFront) for (const imported of byName.get(fileName)!.imports) expect(byName.has(imported)).toBe(true);
  let minified = 0;
  let gzipped = 0;
  for (const fileName of upFront) {
    const bytes = Buffer.from(byName.get(fileName)!.code);
    minified += bytes.length;
    gzipped += gzipSync(bytes, { level: 9 }).length;
  }
  return { minified, gzipped, chunks: upFront.size };
}

it(`the browser client (connect, subscribe, publish, presence, superjson) is at most ${BUDGET_BYTES} bytes min+gzip`, async () => {
  const client = await measure(PAGE, CLIENT_DIR);
  const codec = await measure(CODEC_ONLY, PROTOCOL_DIR);
  const superjson = await measure(SUPERJSON_ONLY, PROTOCOL_DIR);
  const socketio = await measure(SOCKETIO_PAGE, BENCH_DIR);
  const share = ((codec.gzipped / client.gzipped) * 100).toFixed(0);
  console.log(
    `browser client: ${client.minified} B minified, ${client.gzipped} B min+gzip (budget ${BUDGET_BYTES} B, target ${TARGET_BYTES} B)\n` +
      `superjsonCodec alone: ${codec.minified} B minified, ${codec.gzipped} B min+gzip (about ${share}% of the client; ` +
      'gzip shares some of it, so the parts do not add up exactly)\n' +
      `the superjson library alone, not in the client: ${superjson.minified} B minified, ${superjson.gzipped} B min+gzip\n` +
      `Socket.IO's client (socket.io-client, no rich types), built the same way: ${socketio.minified} B minified, ` +
      `${socketio.gzipped} B min+gzip (Herald / Socket.IO = ${(client.gzipped / socketio.gzipped).toFixed(2)}×)`,
  );
  expect(client.gzipped).toBeLessThanOrEqual(BUDGET_BYTES);
  // One chunk up front: requests.ts and handlers.ts import nothing from the protocol at run time
  // (see ClientCore), or the bundler moves what they share with the page into a chunk of its own.
  expect(client.chunks).toBe(1);
});
