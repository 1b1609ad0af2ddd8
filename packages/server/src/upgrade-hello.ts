/**
 * The router's side of a hello carried in the upgrade request (PROTOCOL.md §2, "Hello in the
 * upgrade"; the entry's format is in @herald/protocol's hello-subprotocol.ts). The router finds the
 * entry among the offered subprotocols while `ws` negotiates, runs the hello as soon as the socket
 * is accepted (same admission, same checks, same `authenticate` as a first-frame hello), and writes
 * the welcome behind the 101 in one write (router.ts corks the socket across `handleUpgrade`).
 */
import {
  ErrorCode,
  HELLO_SUBPROTOCOL_PREFIX,
  type HelloMsg,
  ProtocolError,
  type Result,
  decodeHelloSubprotocol,
  err,
} from '@herald/protocol';

/**
 * The hello among `offered` subprotocols, decoded: undefined when there is no hello entry, a
 * `HELLO_INVALID` error when it is malformed or when there are several.
 */
export function upgradeHello(offered: ReadonlySet<string>): Result<HelloMsg, ProtocolError> | undefined {
  // A hello entry only counts beside a codec subprotocol: one offer alone is never one.
  if (offered.size < 2) return undefined;
  let entry: string | undefined;
  for (const protocol of offered) {
    if (!protocol.startsWith(HELLO_SUBPROTOCOL_PREFIX)) continue;
    if (entry !== undefined) return err(new ProtocolError(ErrorCode.HELLO_INVALID, 'more than one hello entry in Sec-WebSocket-Protocol'));
    entry = protocol;
  }
  return entry === undefined ? undefined : decodeHelloSubprotocol(entry);
}

/**
 * The subprotocol the router echoes when it supports none offered (the socket is then closed with
 * 4001, a reason a browser can read): the first offer that is not a hello entry, so that the
 * response never repeats a token.
 */
export function echoedOffer(offered: ReadonlySet<string>): string | false {
  for (const protocol of offered) if (!protocol.startsWith(HELLO_SUBPROTOCOL_PREFIX)) return protocol;
  return false;
}

/**
 * The `Sec-WebSocket-Protocol` header as `authenticate` sees it: without the hello entry (the
 * hook gets the hello's token apart, and a hook that logs headers must not log it).
 */
export function withoutHelloEntry(header: string): string {
  if (!header.includes(HELLO_SUBPROTOCOL_PREFIX)) return header;
  return header
    .split(',')
    .map((offer) => offer.trim())
    .filter((offer) => offer !== '' && !offer.startsWith(HELLO_SUBPROTOCOL_PREFIX))
    .join(', ');
}
