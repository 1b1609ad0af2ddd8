/**
 * `pnpm demo`: the router, the page, a publisher and a swarm of subscribers, in one terminal.
 *
 *   node apps/demo/dist-server/main.js [--port 8080] [--host 127.0.0.1] [--no-swarm] [--no-publisher]
 *
 * The port also comes from HERALD_DEMO_PORT. Ctrl-C (SIGINT) or SIGTERM stops everything.
 */
import { parseArgs } from 'node:util';
import { createConsoleLogger } from '@herald/server';
import { type Demo, startDemo } from './demo.js';

const { values: args } = parseArgs({
  options: {
    port: { type: 'string', default: process.env.HERALD_DEMO_PORT ?? '8080' },
    host: { type: 'string', default: '127.0.0.1' },
    'no-swarm': { type: 'boolean', default: false },
    'no-publisher': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (args.help) {
  process.stdout.write('usage: node apps/demo/dist-server/main.js [--port 8080] [--host 127.0.0.1] [--no-swarm] [--no-publisher]\n');
  process.exit(0);
}

const port = Number.parseInt(args.port, 10);
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  process.stderr.write(`herald demo: --port must be a port number, not "${args.port}"\n`);
  process.exit(2);
}

const logger = createConsoleLogger({ level: 'info', name: 'demo' });
let demo: Demo;
try {
  demo = await startDemo({ port, host: args.host, swarm: !args['no-swarm'], publisher: !args['no-publisher'] });
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
    `  Router    ${demo.url}`,
    '',
    '  Press Ctrl-C to stop.',
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
  logger.log('info', 'stopped: swarm, publisher, router and HTTP server are down');
  process.exit(0);
}
process.on('SIGINT', (signal) => void stop(signal));
process.on('SIGTERM', (signal) => void stop(signal));
