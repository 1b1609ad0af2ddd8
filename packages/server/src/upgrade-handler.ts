/**
 * The router's HTTP side of a connect: the `upgrade` listener (path and origin checks, the
 * refusals as plain HTTP answers), the subprotocol negotiation that names the codec, and the hand
 * over of the accepted socket to the hub. The hello carried in the upgrade (upgrade-hello.ts) is
 * found while ws negotiates and answered in the same write as the 101.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { type Codec, ErrorCode, type HeraldSchema, selectCodec, subprotocolFor } from '@herald/protocol';
import { type WebSocket, WebSocketServer } from 'ws';
import { upgradeInfo } from './authentication.js';
import type { Hub } from './hub.js';
import type { Logger } from './logger.js';
import type { RouterOptions } from './router-options.js';
import { echoedOffer, upgradeHello, withoutHelloEntry } from './upgrade-hello.js';

/** What the upgrade handler reads of the router's options (at each upgrade, as the router did). */
export type UpgradeOptions = Pick<RouterOptions<HeraldSchema>, 'allowedOrigins' | 'authenticate'>;

/** The router's `upgrade` listener and the WebSocket server behind it. */
export class UpgradeHandler {
  /** Whether the router made the HTTP server: it then answers unknown paths 404 (on a shared one, other listeners own them). */
  ownsServer = false;
  readonly #hub: Hub;
  readonly #codecs: readonly Codec[];
  readonly #path: string;
  readonly #options: UpgradeOptions;
  readonly #logger: Logger;
  #wss: WebSocketServer | undefined;
  /** The hello found in the subprotocols of the upgrade being handled (handleUpgrade is synchronous). */
  #upgradeHello: ReturnType<typeof upgradeHello>;
  /** `herald.v1.<name>` → codec, for the subprotocol ws agreed on. */
  readonly #codecBySubprotocol = new Map<string, Codec>();
  /** Codec → its subprotocol, one string for every connection (`ws` keeps the answer per socket). */
  readonly #subprotocolOf = new Map<Codec, string>();

  constructor(hub: Hub, codecs: readonly Codec[], path: string, options: UpgradeOptions, logger: Logger) {
    this.#hub = hub;
    this.#codecs = codecs;
    this.#path = path;
    this.#options = options;
    this.#logger = logger;
    for (const codec of codecs) {
      const subprotocol = subprotocolFor(codec);
      if (!this.#codecBySubprotocol.has(subprotocol)) this.#codecBySubprotocol.set(subprotocol, codec);
      this.#subprotocolOf.set(codec, this.#subprotocolOf.get(codec) ?? subprotocol);
    }
  }

  /** Makes the WebSocket server (no socket of its own: upgrades come through {@link onUpgrade}). */
  start(): void {
    this.#wss = new WebSocketServer({
      noServer: true,
      maxPayload: this.#hub.options.maxPayload,
      perMessageDeflate: false,
      clientTracking: false,
      // When no offer is supported, the first one is echoed so that the upgrade completes (a
      // browser fails a handshake whose answer names no subprotocol it offered) and the socket is
      // closed at once with 4001 CODEC_UNSUPPORTED: a reason a browser can read, unlike an HTTP 400.
      handleProtocols: (offered, request) => {
        const codec = selectCodec(offered, this.#codecs);
        // A hello in the upgrade (upgrade-hello.ts): ws writes the 101 next, then calls back, where
        // the welcome is written; corked until onUpgrade returns, both leave in one write.
        this.#upgradeHello = upgradeHello(offered);
        if (this.#upgradeHello !== undefined) request.socket.cork();
        return codec === undefined ? echoedOffer(offered) : this.#subprotocolOf.get(codec)!;
      },
    });
  }

  close(): void {
    this.#wss?.close();
  }

  /** The HTTP server's `upgrade` listener. */
  readonly onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const url = request.url ?? '/';
    // indexOf and slice rather than split: no array per connect (split was ~1 µs of it in a profile).
    const query = url.indexOf('?');
    const pathname = query === -1 ? url : url.slice(0, query);
    if (pathname !== this.#path) {
      if (this.ownsServer) rejectUpgrade(socket, 404, 'Not Found', ErrorCode.CONNECTION_FAILED, `no Herald router at ${pathname}; use ${this.#path}`);
      return; // on a shared server, other upgrade listeners own other paths
    }
    const origin = request.headers.origin;
    const allowed = this.#options.allowedOrigins;
    if (allowed !== undefined && origin !== undefined && !allowed.includes(origin)) {
      this.#logger.log('info', 'handshake refused: origin not allowed', { origin, address: request.socket.remoteAddress });
      rejectUpgrade(socket, 403, 'Forbidden', ErrorCode.ORIGIN_FORBIDDEN, `origin ${origin} may not connect`);
      return;
    }
    this.#wss!.handleUpgrade(request, socket, head, this.#onWebSocket);
    // ws called handleProtocols but not back (it cannot, today): never leave a socket corked.
    if (this.#upgradeHello !== undefined) {
      this.#upgradeHello = undefined;
      request.socket.uncork();
    }
  };

  /** handleUpgrade's callback, one for every upgrade (ws passes the request back): no closure per connect. */
  readonly #onWebSocket = (ws: WebSocket, request: IncomingMessage): void => {
    // ws has parsed the offers and called handleProtocols: its answer names the codec.
    const codec = this.#codecBySubprotocol.get(ws.protocol);
    const address = request.socket.remoteAddress ?? '';
    if (codec === undefined) {
      this.#logger.log('info', 'handshake refused: no supported subprotocol', { offered: withoutHelloEntry(request.headers['sec-websocket-protocol'] ?? ''), address });
    }
    const hello = this.#upgradeHello;
    this.#upgradeHello = undefined;
    this.#hub.accept(ws, address, codec, this.#options.authenticate === undefined ? undefined : upgradeInfo(request), hello);
    if (hello !== undefined) request.socket.uncork();
  };
}

/** The answer to a plain HTTP request on the router's own server: 426, use a WebSocket. */
export function refuseHttp(_request: IncomingMessage, response: ServerResponse): boolean {
  response.writeHead(426, { 'content-type': 'text/plain; charset=utf-8', upgrade: 'websocket' });
  response.end('This is a Herald router: connect with a WebSocket client (subprotocol herald.v1.superjson or herald.v1.json).\n');
  return true;
}

/** Refuses an upgrade with an HTTP status, its error code in `X-Herald-Error` and the body. */
function rejectUpgrade(socket: Duplex, status: number, statusText: string, code: string, message: string): void {
  const body = `${code}: ${message}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${statusText}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n` +
      `X-Herald-Error: ${code}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}
