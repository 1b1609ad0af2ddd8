/**
 * `pnpm demo`: the router, the page, a publisher and a swarm of subscribers, in one terminal.
 *
 *   node apps/demo/dist-server/main.js [--port 8080] [--host 127.0.0.1] [--verbose] [--no-swarm] [--no-publisher] [--no-services] [--cluster N]
 *
 * `--cluster 3` runs three routers over a redis-server the demo starts (installing it when missing)
 * and ends: the page shows which router each client is on, and its "Kill a router" button (or `k`
 * then Enter here) kills one, so its clients move to the others and recover with no gap.
 *
 * Quiet by default: the URLs stay in view and only warnings follow; `--verbose` (or
 * HERALD_DEMO_VERBOSE=1) logs the traffic too (every connect, publish batch and swarm move).
 * The port also comes from HERALD_DEMO_PORT. Ctrl-C (SIGINT) or SIGTERM stops everything.
 * `r` then Enter in the terminal (or SIGUSR2) restarts the router: down for two seconds, then a new
 * one on the same port, so the page shows reconnecting, then open, and carries on.
 */
import { parseArgs } from 'node:util';
import { createConsoleLogger } from '@herald/server';
import { type Demo, startDemo } from './demo.js';

const { values: args } = parseArgs({
  options: {
    port: { type: 'string', default: process.env.HERALD_DEMO_PORT ?? '8080' },
    host: { type: 'string', default: '127.0.0.1' },
    verbose: { type: 'boolean', short: 'v', default: process.env.HERALD_DEMO_VERBOSE === '1' },
    'no-swarm': { type: 'boolean', default: false },
    'no-publisher': { type: 'boolean', default: false },
    'no-services': { type: 'boolean', default: false },
    cluster: { type: 'string', default: '1' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (args.help) {
  process.stdout.write('usage: node apps/demo/dist-server/main.js [--port 8080] [--host 127.0.0.1] [--verbose] [--no-swarm] [--no-publisher] [--no-services] [--cluster N]\n');
  process.exit(0);
}

const cluster = Number.parseInt(args.cluster, 10);
if (!Number.isInteger(cluster) || cluster < 1 || cluster > 9) {
  process.stderr.write(`herald demo: --cluster must be a number of routers from 1 to 9, not "${args.cluster}"\n`);
  process.exit(2);
}
const port = Number.parseInt(args.port, 10);
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  process.stderr.write(`herald demo: --port must be a port number, not "${args.port}"\n`);
  process.exit(2);
}

// Members of the swarm are child processes: they read the level from the environment.
const logLevel = args.verbose ? 'info' : 'warn';
process.env.HERALD_DEMO_LOG_LEVEL = logLevel;
const logger = createConsoleLogger({ level: 'info', name: 'demo' });
let demo: Demo;
try {
  demo = await startDemo({ port, host: args.host, logLevel, swarm: !args['no-swarm'], publisher: !args['no-publisher'], services: !args['no-services'], cluster });
} catch (error) {
  const code = (error as { code?: unknown }).code;
  const hint = code === 'EADDRINUSE' ? `: port ${port} is taken; pass --port <n> or set HERALD_DEMO_PORT` : '';
  process.stderr.write(`herald demo: could not start${hint}\n  ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}

process.stdout.write(
  [
    '',
    '  Herald demo is running',
    '',
    `  Page      ${demo.pageUrl}`,
    `  Widget    ${demo.widgetUrl}`,
    ...(demo.cluster === undefined
      ? [`  Router    ${demo.url}`]
      : [...demo.cluster.urls.map((url, index) => `  Router ${index + 1}  ${url}`), `  Redis     ${demo.cluster.redisUrl}`]),
    '',
    args.verbose ? '  Logging the traffic (--verbose).' : '  Quiet: only warnings from here on; run with --verbose to watch the traffic.',
    ...(demo.cluster === undefined ? [] : ['  Cluster: the page\'s "Kill a router" button (or k then Enter) kills the busiest router; it is back in 5 s.']),
    process.stdin.isTTY ? '  Type r and Enter to restart the router (or send SIGUSR2); Ctrl-C to stop.' : '  SIGUSR2 restarts the router; Ctrl-C (SIGINT) stops.',
    '',
    '',
  ].join('\n'),
);

let stopping = false;
async function stop(signal: NodeJS.Signals): Promise<void> {
  if (stopping) {
    logger.log('warn', `${signal} again: exiting now`);
    process.exit(1);
  }
  stopping = true;
  logger.log('info', `${signal}: stopping`, { members: demo.swarm?.online().length ?? 0, clients: demo.router.clients().length });
  await demo.close();
  logger.log('info', 'stopped: swarm, services, publisher, router and HTTP server are down');
  process.exit(0);
}
process.on('SIGINT', (signal) => void stop(signal));
process.on('SIGTERM', (signal) => void stop(signal));

/** Restarts the router, down long enough for a person to see the page reconnect. */
let restarting = false;
async function restart(why: string): Promise<void> {
  if (restarting || stopping) return;
  restarting = true;
  logger.log('info', `${why}: restarting the router`);
  try {
    await demo.restartRouter({ downMs: 2000 });
  } catch (error) {
    logger.log('error', 'the router did not restart', { error: error instanceof Error ? error.message : String(error) });
  } finally {
    restarting = false;
  }
}
process.on('SIGUSR2', () => void restart('SIGUSR2'));
if (process.stdin.isTTY) {
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (line: string) => {
    if (line.trim().toLowerCase() === 'r') void restart('r typed');
    if (line.trim().toLowerCase() === 'k') void demo.cluster?.kill();
  });
}
