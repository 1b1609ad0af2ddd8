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
