/**
 * `herald serve`: a router from flags and/or a config file, logs readable or JSON, stopped
 * gracefully (close code 1001, clients reconnect elsewhere) on SIGINT or SIGTERM.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { redisEngine } from '@herald/redis';
import { type HistoryRule, type Logger, type Router, type RouterOptions, createConsoleLogger, createRouter } from '@herald/server';
import { type HeraldConfig, loadConfig } from './config.js';
import { authenticateOf } from './serve-auth.js';
import { permissionFlag } from './token.js';
import { createJsonLogger } from './json-logger.js';
import { durationMs, intFlag, optionError } from './usage.js';

const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;

/** Parses `--history 100,5m` (limit, age), or `off`. */
function historyFlag(value: string): HistoryRule | false {
  if (value === 'off' || value === 'false' || value === '0') return false;
  const [limit, age] = value.split(',');
  const n = intFlag(limit, '--history limit');
  if (n === undefined || age === undefined) throw optionError(`--history takes "limit,age" (e.g. 100,5m) or "off", not "${value}"`);
  return { limit: n, ttlMs: durationMs(age, '--history age') };
}

/** The settings of `herald serve`: the config file, then the flags over it. */
export async function serveConfig(argv: string[]): Promise<HeraldConfig> {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string', short: 'c' },
      port: { type: 'string', short: 'p' },
      host: { type: 'string' },
      path: { type: 'string' },
      name: { type: 'string' },
      redis: { type: 'string' },
      'redis-prefix': { type: 'string' },
      history: { type: 'string' },
      'max-connections': { type: 'string' },
      'max-payload': { type: 'string' },
      'max-subscriptions': { type: 'string' },
      metrics: { type: 'boolean' },
      admin: { type: 'boolean' },
      'admin-token': { type: 'string' },
      'metrics-port': { type: 'string' },
      'log-format': { type: 'string' },
      'log-level': { type: 'string' },
      'jwt-secret': { type: 'string' },
      'jwt-secret-env': { type: 'string' },
      'jwks-url': { type: 'string' },
      'jwt-algorithm': { type: 'string', multiple: true },
      'jwt-issuer': { type: 'string' },
      'jwt-audience': { type: 'string' },
      anonymous: { type: 'string', multiple: true },
      'allowed-origin': { type: 'string', multiple: true },
    },
    strict: true,
    allowPositionals: false,
  });
  const config: HeraldConfig = values.config === undefined ? {} : await loadConfig(values.config);
  const port = intFlag(values.port, '--port');
  if (port !== undefined) config.port = port;
  if (values.host !== undefined) config.host = values.host;
  if (values.path !== undefined) config.path = values.path;
  if (values.name !== undefined) config.name = values.name;
  if (values.redis !== undefined) config.redis = { url: values.redis, ...(values['redis-prefix'] !== undefined && { prefix: values['redis-prefix'] }) };
  else if (values['redis-prefix'] !== undefined) {
    if (config.redis === undefined) throw optionError('--redis-prefix needs --redis (or redis in the config file)');
    config.redis = { ...(typeof config.redis === 'string' ? { url: config.redis } : config.redis), prefix: values['redis-prefix'] };
  }
  if (values.history !== undefined) config.history = historyFlag(values.history);
  const limits = { ...config.limits };
  const maxConnections = intFlag(values['max-connections'], '--max-connections', 1);
  const maxPayload = intFlag(values['max-payload'], '--max-payload', 1);
  const maxSubscriptions = intFlag(values['max-subscriptions'], '--max-subscriptions', 1);
  if (maxConnections !== undefined) limits.maxConnections = maxConnections;
  if (maxPayload !== undefined) limits.maxPayload = maxPayload;
  if (maxSubscriptions !== undefined) limits.maxSubscriptions = maxSubscriptions;
  config.limits = limits;
  const metricsPort = intFlag(values['metrics-port'], '--metrics-port');
  if (metricsPort !== undefined) config.metrics = { ...(typeof config.metrics === 'object' ? config.metrics : {}), port: metricsPort };
  else if (values.metrics === true) config.metrics ??= true;
  const adminToken = values['admin-token'] ?? process.env.HERALD_ADMIN_TOKEN;
  if (values.admin === true || values['admin-token'] !== undefined) {
    config.admin = { ...(typeof config.admin === 'object' ? config.admin : {}), ...(adminToken !== undefined && { token: adminToken }) };
  }
  const auth = { ...config.auth };
  if (values['jwt-secret'] !== undefined) auth.secret = values['jwt-secret'];
  if (values['jwt-secret-env'] !== undefined) auth.secretEnv = values['jwt-secret-env'];
  if (values['jwks-url'] !== undefined) auth.jwksUrl = values['jwks-url'];
  const authFlag = values['jwt-secret'] !== undefined || values['jwt-secret-env'] !== undefined || values['jwks-url'] !== undefined;
  if (values['jwt-algorithm'] !== undefined) auth.algorithms = values['jwt-algorithm'].flatMap((a) => a.split(','));
  if (values['jwt-issuer'] !== undefined) auth.issuer = values['jwt-issuer'];
  if (values['jwt-audience'] !== undefined) auth.audience = values['jwt-audience'];
  if (values.anonymous !== undefined) {
    const allow: Record<string, string[]> = {};
    for (const rule of values.anonymous) {
      const [pattern, ops] = permissionFlag(rule, '--anonymous');
      allow[pattern] = [...new Set([...(allow[pattern] ?? []), ...ops])];
    }
    auth.anonymous = { allow } as NonNullable<typeof auth.anonymous>;
  }
  if (authFlag || config.auth !== undefined) config.auth = auth;
  if (values['allowed-origin'] !== undefined) config.allowedOrigins = values['allowed-origin'];
  if (values['log-format'] !== undefined) {
    if (values['log-format'] !== 'text' && values['log-format'] !== 'json') throw optionError(`--log-format is text or json, not "${values['log-format']}"`);
    config.logFormat = values['log-format'];
  }
  if (values['log-level'] !== undefined) {
    const level = values['log-level'] as (typeof LOG_LEVELS)[number];
    if (!LOG_LEVELS.includes(level)) throw optionError(`--log-level is one of ${LOG_LEVELS.join(', ')}, not "${values['log-level']}"`);
    config.logLevel = level;
  }
  return config;
}

/** The `createRouter` options for a config (without the engine). */
export function routerOptions(config: HeraldConfig, logger: Logger): RouterOptions {
  return {
    ...config.limits,
    port: config.port ?? 8080,
    host: config.host ?? '127.0.0.1',
    ...(config.path !== undefined && { path: config.path }),
    ...(config.name !== undefined && { name: config.name }),
    ...(config.history !== undefined && { history: config.history }),
    ...(config.metrics !== undefined && config.metrics !== false && { metrics: config.metrics }),
    ...(config.admin !== undefined && config.admin !== false && { admin: adminOptions(config.admin, config.auth !== undefined) }),
    ...(config.auth !== undefined && { authenticate: authenticateOf(config.auth) }),
    ...(config.allowedOrigins !== undefined && { allowedOrigins: config.allowedOrigins }),
    logger,
  };
}

/**
 * The admin options; without a token, a random one (printed at start), unless the router
 * authenticates: then the page takes a JWT allowed to `call` `herald.admin`.
 */
function adminOptions(admin: true | { token?: string; path?: string }, authenticates: boolean): { token?: string; path?: string } {
  const given = admin === true ? {} : admin;
  if (given.token === undefined && authenticates) return { ...(given.path !== undefined && { path: given.path }) };
  const token = given.token ?? randomBytes(18).toString('base64url');
  if (token.length < 16) throw optionError('the admin token must be at least 16 characters');
  return { token, ...(given.path !== undefined && { path: given.path }) };
}

/** Runs `herald serve` until SIGINT or SIGTERM; resolves with the exit code. */
export async function serve(argv: string[]): Promise<number> {
  const config = await serveConfig(argv);
  const level = config.logLevel ?? 'info';
  const json = config.logFormat === 'json';
  const logger = json ? createJsonLogger({ level }) : createConsoleLogger({ level });
  const options = routerOptions(config, logger);
  if (config.redis !== undefined) {
    const redis = typeof config.redis === 'string' ? { url: config.redis } : config.redis;
    options.engine = redisEngine({
      url: redis.url,
      ...(redis.prefix !== undefined && { prefix: redis.prefix }),
      ...(config.history !== undefined && { history: config.history }),
      logger,
    });
  }
  let router: Router;
  try {
    router = await createRouter(options);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    logger.log('error', 'the router could not start', { code: typeof code === 'string' ? code : undefined, error: error instanceof Error ? error.message : String(error) });
    return code === 'OPTION_INVALID' ? 2 : 1; // a refused option is a usage error, as main.ts prints the CLI's own
  }
  const ready = {
    event: 'listening',
    url: router.url,
    engine: config.redis === undefined ? 'memory' : 'redis',
    auth: config.auth === undefined ? 'none' : 'jwt',
    ...(router.metricsUrl !== undefined
      ? { metrics: router.metricsUrl }
      : router.metrics !== undefined && { metrics: `${router.url.replace(/^ws/, 'http').replace(/\/[^/]*$/, '')}/metrics` }),
    ...(router.adminUrl !== undefined && { admin: router.adminUrl }),
  };
  const generatedToken =
    config.auth === undefined && (config.admin === true || (typeof config.admin === 'object' && config.admin.token === undefined)) ? options.admin?.token : undefined;
  if (generatedToken !== undefined) process.stderr.write(`herald: admin page at ${router.adminUrl}, token ${generatedToken} (set one with --admin-token or HERALD_ADMIN_TOKEN)\n`);
  // One line on stdout that tools (and tests) wait for; the rest goes to the log on stderr.
  process.stdout.write(json ? `${JSON.stringify(ready)}\n` : `herald: listening on ${ready.url} (${ready.engine} engine${ready.auth === 'jwt' ? ', JWT' : ''})${'metrics' in ready ? `, metrics at ${ready.metrics}` : ''}${'admin' in ready ? `, admin at ${ready.admin}` : ''}\n`);
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  logger.log('info', `${signal}: closing the router (clients are told 1001 and reconnect)`, { clients: router.clients().length });
  const forced = () => {
    logger.log('warn', `${signal} again: exiting without waiting`);
    process.exit(1);
  };
  process.once('SIGINT', forced);
  process.once('SIGTERM', forced);
  await router.close();
  logger.log('info', 'stopped');
  return 0;
}
