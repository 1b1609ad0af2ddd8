/**
 * The demo's topics. The page has the same constants in `src/topics.ts` (it is built by Vite, not
 * by this tsconfig): change both together.
 */

/** Everything the demo publishes; the page, the widget and the swarm subscribe to it. */
export const FEED_PATTERN = 'demo.>';

/** Where the page's publish form sends. */
export const CHAT_TOPIC = 'demo.chat';

/** Sensor readings go to `demo.sensors.<room>`. */
export const SENSOR_TOPIC_PREFIX = 'demo.sensors.';

/** Cron-job reports (pysig's "cron jobs reporting results"). */
export const JOB_TOPIC = 'demo.jobs.backup';

/** The URL path the router answers WebSocket upgrades on. */
export const ROUTER_PATH = '/herald';

/** The services' methods (`server/services.ts`); the page asks them from its "Ask a service" panel. */
export const STATS_METHOD = 'demo.stats';
export const FORECAST_METHOD = 'demo.forecast';
