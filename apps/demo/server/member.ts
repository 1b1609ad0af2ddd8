/**
 * A subscriber process of the demo's swarm (hein's named listener):
 *
 *   node dist-server/member.js --url ws://127.0.0.1:8080/herald[,ws://...] --name Kirk [--role captain]
 *                              [--topic 'demo.>'] [--log-every 1]
 *
 * (or HERALD_URL / HERALD_NAME in the environment). It connects, subscribes to the feed (which makes
 * it a presence member), logs what it receives, reconnects (and recovers) when the router restarts,
 * and on SIGTERM or SIGINT closes its client cleanly and exits 0. Started with an IPC channel (by the swarm), it also leaves when its parent goes.
 */
import { parseArgs } from 'node:util';
import { type Client, connect } from '@herald/client';
import { createConsoleLogger } from '@herald/server';
import { describeValue } from './describe-value.js';
import { FEED_PATTERN } from './topics.js';

const { values: args } = parseArgs({
  options: {
    url: { type: 'string', default: process.env.HERALD_URL ?? 'ws://127.0.0.1:8080/herald' },
    name: { type: 'string', default: process.env.HERALD_NAME ?? `member-${process.pid}` },
    role: { type: 'string', default: 'subscriber' },
    topic: { type: 'string', default: FEED_PATTERN },
    'log-every': { type: 'string', default: '1' },
  },
});

const name = args.name;
const level = process.env.HERALD_DEMO_LOG_LEVEL;
const logger = createConsoleLogger({ level: level === 'warn' || level === 'error' || level === 'debug' ? level : 'info', name: `member ${name}` });
const logEvery = Math.max(1, Number.parseInt(args['log-every'], 10) || 1);
let client: Client | undefined;
let stopping = false;

async function stop(why: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.log('info', 'closing cleanly', { why });
  await client?.close();
  process.exit(0);
}

process.on('SIGTERM', () => void stop('SIGTERM'));
process.on('SIGINT', () => void stop('SIGINT'));
if (process.send !== undefined) process.on('disconnect', () => void stop('parent gone'));

try {
  // A cluster demo gives several URLs, comma-separated: the client rotates through them.
  client = await connect(args.url.split(','), { name, info: { kind: 'node', role: args.role, pid: process.pid } });
} catch (error) {
  // A first connection does not retry (only an open one reconnects): while the router restarts the
  // handshake is refused with 503, a retryable error, and the swarm starts this member again later.
  const retryable = (error as { retryable?: unknown }).retryable === true;
  logger.log(retryable ? 'warn' : 'error', retryable ? 'could not connect yet; leaving for now' : 'could not connect', { url: args.url, error: String(error) });
  process.exit(1);
}

client.on('statechange', (change) => {
  if (stopping) return;
  if (change.to === 'reconnecting') logger.log('warn', 'connection lost; reconnecting', { reason: change.reason, code: change.code });
  else if (change.to === 'open') logger.log('info', 'reconnected');
  else if (change.to === 'closed') {
    // Only a final close gets here (the router closed with 1000, or reconnecting gave up).
    logger.log('warn', 'the router closed the connection for good; leaving', { reason: change.reason, code: change.code });
    process.exit(0);
  }
});
client.on('error', (error) => logger.log('warn', 'client error', { code: error.code, error: error.message }));

let received = 0;
const subscription = await client.subscribe(args.topic, (data, meta) => {
  received += 1;
  if (received === 1 || received % logEvery === 0) {
    logger.log('info', `received #${received} ${meta.topic} from ${meta.publisher.name}${meta.replayed ? ' (replayed)' : ''}: ${describeValue(data)}`);
  }
});
subscription.on('recovery', (recovery) => {
  if (recovery.recovered) logger.log('info', 'resubscribed: nothing missed');
  else logger.log('warn', 'resubscribed with a gap', { reason: recovery.reason, topics: recovery.gaps.join(',') });
});
logger.log('info', 'connected and subscribed', { id: client.id, topic: args.topic, pid: process.pid });
