/**
 * The shape of the options that say where the router listens and whom it lets in: `server`, `host` (and
 * `metrics.host`), `path` (and `admin.path`) and `allowedOrigins`, checked by `createRouter` before
 * it makes anything: a wrong type or shape throws `OPTION_INVALID` naming the option and what it
 * takes. Before this, an empty or non-string `host` listened on every interface (Node reads it as
 * "unspecified"), a `host` with a port or brackets failed late in `listen` (ENOTFOUND) with the
 * engine already started, a `path` without its leading `/` or with a query matched no upgrade
 * (every client got 404), and an `allowedOrigins` string was searched as a string (`includes`: any
 * part of it, `https://app` for `https://app.example.com`, passed). A `server` that is not an HTTP
 * server (a plain object, a `net.Server`, a `WebSocketServer`, an HTTP/2-only server, an HTTP/2 secure
 * server without `allowHTTP1: true`) either threw a TypeError from `server.on`, waited forever for a
 * `listening` it never emits, or listened and never saw an upgrade: every client failed, with nothing said.
 */
import { Server as HttpServer } from 'node:http';
import { createSecureServer } from 'node:http2';
import { Server as HttpsServer } from 'node:https';
import { isIP } from 'node:net';
import { optionInvalid } from '@herald/protocol';
import { allowsHttp1 } from './allow-http1.js';
import type { RouterOptions } from './router-options.js';

const WHAT = 'createRouter';

/** A URL path as clients send it: `/`, then only characters a URL carries as they are, and %XX escapes. */
const URL_PATH = /^\/(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-Fa-f]{2})*$/;
/** A host name: labels of letters, digits, `-` and `_`, dot-separated (IP addresses go through `isIP`). */
const HOST_NAME = /^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*\.?$/;
/**
 * An origin as browsers send it in `Origin`: `scheme://host[:port]`, in lower case (browsers
 * lower-case scheme and host), no path, not even `/`; an IPv6 host in brackets.
 */
const ORIGIN = /^[a-z][a-z0-9+.-]*:\/\/(?:[a-z0-9_.~-]+|\[[0-9a-f:.]+\])(?::[0-9]{1,5})?$/;

/** Throws `OPTION_INVALID` at the first of `server`, `host`, `path`, `allowedOrigins`, `metrics.host`, `admin.path` of the wrong shape. */
export function checkListenOptions(options: RouterOptions): void {
  checkServer(options.server);
  checkHost('host', options.host);
  checkPath('path', options.path);
  checkOrigins(options.allowedOrigins);
  const { metrics, admin } = options;
  if (typeof metrics === 'object' && metrics !== null) checkHost('metrics.host', metrics.host);
  if (typeof admin === 'object' && admin !== null) checkPath('admin.path', admin.path);
}

/**
 * The servers whose `upgrade` events the router can take: `http.Server`, `https.Server` and an
 * HTTP/2 secure server (`http2.createSecureServer`, as Vite's dev server over https), which takes
 * WebSocket upgrades over HTTP/1.1 when made with `allowHTTP1: true` (browsers open WebSockets over
 * HTTP/1.1). A cleartext HTTP/2 server (`http2.createServer`) speaks no HTTP/1.1 at all.
 */
export function isUpgradeServer(value: unknown): boolean {
  if (value instanceof HttpServer || value instanceof HttpsServer) return true;
  // node:http2 exports no class to test against: the prototype of one made (not listening) once.
  http2SecureServer ??= Object.getPrototypeOf(createSecureServer()) as object;
  return typeof value === 'object' && value !== null && Object.prototype.isPrototypeOf.call(http2SecureServer, value);
}

let http2SecureServer: object | undefined;

function checkServer(server: unknown): void {
  if (server === undefined) return;
  if (isUpgradeServer(server)) {
    if (server instanceof HttpServer || server instanceof HttpsServer || allowsHttp1(server as object) !== false) return;
    throw optionInvalid(WHAT, 'server', 'an HTTP/2 secure server made with allowHTTP1: true (WebSockets come over HTTP/1.1; without it no upgrade ever reaches the router)', 'one without allowHTTP1: true');
  }
  throw optionInvalid(WHAT, 'server', 'an http.Server or https.Server (or http2.createSecureServer({ allowHTTP1: true })) to share; leave it out to have the router make its own', serverShown(server));
}

function serverShown(server: unknown): string {
  if (typeof server !== 'object' || server === null) return shown(server);
  const name = (server as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === 'string' && name !== '' && name !== 'Object' ? `a ${name}` : 'an object';
}

function checkHost(option: string, host: unknown): void {
  if (host === undefined || (typeof host === 'string' && (isIP(host) !== 0 || HOST_NAME.test(host)))) return;
  throw optionInvalid(WHAT, option, 'an IP address (IPv6 without brackets) or a host name, without a scheme or port', shown(host));
}

function checkPath(option: string, path: unknown): void {
  if (path === undefined || (typeof path === 'string' && URL_PATH.test(path))) return;
  throw optionInvalid(WHAT, option, 'a URL path: "/" then letters, digits, - . _ ~ ! $ & \' ( ) * + , ; = : @ / or %XX escapes (no query, no spaces)', shown(path));
}

function checkOrigins(origins: unknown): void {
  if (origins === undefined) return;
  if (!Array.isArray(origins)) throw optionInvalid(WHAT, 'allowedOrigins', 'a list of origins (leave it out to allow every origin)', shown(origins));
  for (const origin of origins as unknown[]) {
    if (origin === 'null' || (typeof origin === 'string' && ORIGIN.test(origin))) continue;
    throw optionInvalid(
      WHAT,
      'allowedOrigins',
      'a list of origins as browsers send them: "scheme://host[:port]" in lower case, no path or trailing "/" (or "null")',
      `a list holding ${shown(origin)}`,
    );
  }
}

function shown(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return 'a list';
  return value === null ? 'null' : `a ${typeof value}`;
}
