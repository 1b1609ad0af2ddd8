/**
 * Whether an HTTP/2 secure server (`http2.createSecureServer`) answers HTTP/1.1, the only way a
 * WebSocket reaches it (browsers and `ws` open WebSockets over HTTP/1.1; RFC 8441's WebSockets over
 * HTTP/2 is not something Node's server does). Node answers HTTP/1.1 only when the server was made
 * with `allowHTTP1: true`; without it every upgrade fails and the router sees nothing, so
 * `createRouter` refuses such a server (listen-options.ts).
 *
 * Node has no public getter for it. Two readings, each guarded (checked on Node 20; Node has kept both
 * since its HTTP/2 server came):
 * 1. the options the server was made with, kept on the server under a symbol described `options`
 *    (lib/internal/http2/core.js, `this[kOptions] = options`): the object its connection listener
 *    reads `allowHTTP1` from. It is recognised by the `ALPNProtocols` list Node puts in it.
 * 2. failing that, the TLS server's `ALPNProtocols` (wire format, set from those options: `h2`,
 *    plus `http/1.1` with `allowHTTP1`).
 * When neither is there (a future Node), the answer is "unknown" and the server is taken, as before.
 */

/** True or false as `server` answers HTTP/1.1; undefined when this Node does not say. */
export function allowsHttp1(server: object): boolean | undefined {
  const key = Object.getOwnPropertySymbols(server).find((symbol) => symbol.description === 'options');
  const options: unknown = key === undefined ? undefined : (server as Record<symbol, unknown>)[key];
  if (typeof options === 'object' && options !== null && Array.isArray((options as { ALPNProtocols?: unknown }).ALPNProtocols)) {
    return (options as { allowHTTP1?: unknown }).allowHTTP1 === true;
  }
  const alpn = (server as { ALPNProtocols?: unknown }).ALPNProtocols;
  if (alpn instanceof Uint8Array) return alpnNames(alpn).includes('http/1.1');
  return undefined;
}

/** The protocol names of an ALPN list in wire format (each name preceded by its length byte). */
function alpnNames(wire: Uint8Array): string[] {
  const names: string[] = [];
  for (let at = 0; at < wire.length; ) {
    const length = wire[at]!;
    names.push(new TextDecoder().decode(wire.subarray(at + 1, at + 1 + length)));
    at += 1 + length;
  }
  return names;
}
