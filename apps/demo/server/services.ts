import { type Client, type Presence, type RequestContext, connect } from '@herald/client';
import type { Logger } from '@herald/server';
import { FEED_PATTERN, FORECAST_METHOD, STATS_METHOD } from './topics.js';

/** `demo.stats`'s reply: every field but `members` needs superjson to keep its type. */
export interface DemoStats {
  /** When the service answered. */
  at: Date;
  /** Clients subscribed to the feed (`demo.>`) right now: the page's presence panel, counted. */
  members: number;
  /** Milliseconds since the service started. */
  uptime: bigint;
  /** Messages the service saw per topic since it started. */
  topics: Map<string, number>;
}

/** `demo.forecast`'s params. */
export interface ForecastParams {
  place: string;
}

/** `demo.forecast`'s reply. */
export interface Forecast {
  place: string;
  issuedAt: Date;
  validUntil: Date;
  celsius: number;
  outlook: string;
}

/** The `data` of the `UNKNOWN_PLACE` error `demo.forecast` fails with. */
export interface UnknownPlaceData {
  place: string;
  known: Set<string>;
}

/** Places `demo.forecast` knows, with their usual temperature and weather. */
const CLIMATES: ReadonlyMap<string, { celsius: number; outlooks: readonly string[] }> = new Map([
  ['Earth', { celsius: 16, outlooks: ['sunny spells', 'light rain', 'overcast'] }],
  ['Vulcan', { celsius: 47, outlooks: ['scorching', 'dust storms', 'dry heat'] }],
  ['Risa', { celsius: 28, outlooks: ['tropical sun', 'warm breeze', 'a shower at dusk'] }],
  ['Andoria', { celsius: -31, outlooks: ['blizzard', 'ice fog', 'clear and bitter'] }],
]);

export const KNOWN_PLACES: readonly string[] = [...CLIMATES.keys()];

export interface ServicesOptions {
  /** The router's WebSocket URL. */
  url: string | readonly string[];
  logger: Logger;
  random?: () => number;
}

export interface Services {
  readonly client: Client;
  /** Requests answered so far (replies and errors). */
  readonly served: number;
  close(): Promise<void>;
}

/**
 * The demo's request service: a Node client ("ship-computer") that answers `demo.stats` and
 * `demo.forecast`. It subscribes to the feed to count messages per topic (so it is a presence
 * member too) and watches the feed's presence to count members. Like any client it reconnects
 * after a router restart and registers its methods again.
 */
export async function startServices(options: ServicesOptions): Promise<Services> {
  const { logger } = options;
  const random = options.random ?? Math.random;
  const startedAt = Date.now();
  const client: Client = await connect(options.url, { name: 'ship-computer', info: { kind: 'service', role: 'answers requests', pid: process.pid } });
  let served = 0;
  try {
    const seen = new Map<string, number>();
    await client.subscribe(FEED_PATTERN, (_data, meta) => seen.set(meta.topic, (seen.get(meta.topic) ?? 0) + 1));
    const presence: Presence = await client.presence(FEED_PATTERN);

    const log = (ctx: RequestContext, started: number, outcome: string, fields: Record<string, unknown> = {}): void => {
      served += 1;
      logger.log('info', `services: ${ctx.method} for ${ctx.caller.name}: ${outcome}`, { ms: Date.now() - started, ...fields });
    };

    await client.handle(STATS_METHOD, (_params: unknown, ctx): DemoStats => {
      const started = Date.now();
      const stats: DemoStats = {
        at: new Date(),
        members: presence.count,
        uptime: BigInt(Date.now() - startedAt),
        topics: new Map([...seen].sort(([a], [b]) => a.localeCompare(b))),
      };
      log(ctx, started, 'answered', { members: stats.members, topics: stats.topics.size });
      return stats;
    });

    await client.handle(FORECAST_METHOD, (params: unknown, ctx): Forecast => {
      const started = Date.now();
      const asked = typeof (params as Partial<ForecastParams> | null)?.place === 'string' ? (params as ForecastParams).place.trim() : '';
      const place = KNOWN_PLACES.find((known) => known.toLowerCase() === asked.toLowerCase());
      const climate = place === undefined ? undefined : CLIMATES.get(place);
      if (place === undefined || climate === undefined) {
        const data: UnknownPlaceData = { place: asked, known: new Set(KNOWN_PLACES) };
        log(ctx, started, 'failed', { code: 'UNKNOWN_PLACE', place: asked });
        // The code and the data travel to the caller: it gets a RemoteError with both.
        throw Object.assign(new Error(`no forecast for ${asked === '' ? 'an empty place' : asked}`), { code: 'UNKNOWN_PLACE', data });
      }
      const issuedAt = new Date();
      const forecast: Forecast = {
        place,
        issuedAt,
        validUntil: new Date(issuedAt.getTime() + 6 * 3600_000),
        celsius: Math.round((climate.celsius + (random() - 0.5) * 6) * 10) / 10,
        outlook: climate.outlooks[Math.floor(random() * climate.outlooks.length)] ?? climate.outlooks[0]!,
      };
      log(ctx, started, 'answered', { place, celsius: forecast.celsius });
      return forecast;
    });
  } catch (error) {
    await client.close();
    throw error;
  }

  client.on('statechange', (change) => {
    if (change.to === 'reconnecting') logger.log('warn', 'services: connection lost, reconnecting', { reason: change.reason, code: change.code });
    else if (change.to === 'open') logger.log('info', 'services: reconnected; registering its methods again', { methods: `${STATS_METHOD}, ${FORECAST_METHOD}` });
  });
  client.on('error', (error) => logger.log('warn', 'services: client error', { code: error.code, error: error.message }));
  logger.log('info', 'services: ready', { name: client.name, methods: `${STATS_METHOD}, ${FORECAST_METHOD}` });

  return {
    client,
    get served() {
      return served;
    },
    close: () => client.close(),
  };
}
