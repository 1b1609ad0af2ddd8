/**
 * The demo's topics. The Node side has the same constants in `server/topics.ts` (a separate
 * tsconfig builds it): change both together.
 */

/** Everything the demo publishes. The page subscribes to it, which makes it a presence member. */
export const FEED_PATTERN = 'demo.>';

/** Where the publish form sends. */
export const CHAT_TOPIC = 'demo.chat';

/** The URL path of the router, on the server that serves the page. */
export const ROUTER_PATH = '/herald';

/** Methods the demo's Node service answers (`server/services.ts`). */
export const STATS_METHOD = 'demo.stats';
export const FORECAST_METHOD = 'demo.forecast';

/** Readings replayed per topic when the page subscribes, so it shows the latest values at once. */
export const REWIND = 1;
