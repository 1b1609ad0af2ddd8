/**
 * WebSocket close codes used by Herald, one table for both sides.
 * Ranges: 1000–1015 standard; 4000–4099 protocol violation (fatal); 4100–4199 auth (retried only
 * with a token function, after fetching a fresh token); 4200–4299 transient router trouble
 * (reconnect with backoff); 4300–4399 rate limits.
 */
export const CloseCode = {
  /** The client or router closed on purpose. */
  NORMAL: 1000,
  /** The router is shutting down (`router.close()`); reconnect, possibly elsewhere. */
  GOING_AWAY: 1001,
  /** No close frame was received (socket destroyed, network cut). Never sent on the wire. */
  ABNORMAL: 1006,
  /** A frame exceeded the router's `maxPayload`. Sent by the WebSocket layer. */
  MESSAGE_TOO_BIG: 1009,
  /** The router hit an unexpected error. */
  INTERNAL_ERROR: 1011,
  /** The router is restarting; reconnect. */
  SERVICE_RESTART: 1012,
  /** The router is at `maxConnections`; try again later. */
  TRY_AGAIN_LATER: 1013,
  /** The peer broke the protocol: no `hello` first, `hello` twice, an invalid hello, or too many errors. */
  PROTOCOL_VIOLATION: 4000,
  /** The client offered no Herald subprotocol the router supports. */
  CODEC_UNSUPPORTED: 4001,
  /** The client did not send `hello` within the router's `helloTimeoutMs`. */
  HELLO_TIMEOUT: 4002,
  /** The client resumed this session (`hello.resume`) on another connection: this one is stale. Fatal, so the two never chase each other. */
  SESSION_RESUMED: 4003,
  /** The router's `authenticate` refused the credentials: no retry without a new token. */
  AUTH_INVALID: 4100,
  /** The token expired (past a short grace) and was not refreshed in band: fetch a new one, reconnect. */
  TOKEN_EXPIRED: 4101,
  /** The router revoked the user's access (`router.disconnectUser`). */
  AUTH_REVOKED: 4102,
  /** The client read too slowly: its outbound buffer passed `maxBufferedBytes`. Reconnect and recover. */
  SLOW_CONSUMER: 4200,
  /**
   * The router's engine lost messages of the client's subscriptions that it could not read back
   * (Redis lost them, or history no longer held them). Reconnect and recover: recovery reports the gap.
   */
  RESYNC: 4201,
  /**
   * The client kept going over its rate limits after being told `RATE_LIMITED`. Reconnect after a
   * delay (with backoff).
   */
  RATE_LIMITED: 4300,
  /**
   * Refused at once: the client's address has `maxConnectionsPerAddress` connections open, or
   * opened connections faster than `connectionsPerAddress` allows. Reconnect with backoff.
   */
  ADDRESS_LIMIT: 4301,
} as const;

export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/** Whether a client should reconnect after the router closed with `code`. */
export function isRetryableClose(code: number): boolean {
  // The numbers of CloseCode's members, not the members: a browser page that reads one member
  // carries the whole table (close-codes.test.ts checks every code against it).
  switch (code) {
    case 1001: // CloseCode.GOING_AWAY
    case 1006: // CloseCode.ABNORMAL
    case 1011: // CloseCode.INTERNAL_ERROR
    case 1012: // CloseCode.SERVICE_RESTART
    case 1013: // CloseCode.TRY_AGAIN_LATER
    case 4002: // CloseCode.HELLO_TIMEOUT
      return true;
    default:
      // 4200–4299: transient router trouble; 4300–4399: rate limited (retry after the hint).
      return code >= 4200 && code < 4400;
  }
}

/**
 * Whether `code` is an authentication close (4100–4199): a client with a token function fetches a
 * fresh token and reconnects, up to a bounded number of refusals in a row; others stop.
 */
export function isAuthClose(code: number): boolean {
  return code >= 4100 && code < 4200;
}

/**
 * Close reasons are limited to 123 bytes by the WebSocket spec; browsers throw past that.
 * Truncates on a character boundary.
 */
export function clampCloseReason(reason: string): string {
  const encoder = new TextEncoder();
  if (encoder.encode(reason).length <= 123) return reason;
  let out = '';
  let bytes = 0;
  for (const ch of reason) {
    const size = encoder.encode(ch).length;
    if (bytes + size > 120) break;
    out += ch;
    bytes += size;
  }
  return `${out}...`;
}
