/**
 * The shape of the options that say where the router listens and whom it lets in: `host` (and
 * `metrics.host`), `path` (and `admin.path`) and `allowedOrigins`, checked by `createRouter` before
 * it makes anything: a wrong type or shape throws `OPTION_INVALID` naming the option and what it
 * takes. Before this, an empty or non-string `host` listened on every interface (Node reads it as
 * "unspecified"), a `host` with a port or brackets failed late in `listen` (ENOTFOUND) with the
 * engine already started, a `path` without its leading `/` or with a query matched no upgrade
 * (every client got 404), and an `allowedOrigins` string was searched as a string (`includes`: any
 * part of it, `https://app` for `https://app.example.com`, passed).
 */
import { isIP } from 'node:net';
import { optionInvalid } from '@herald/protocol';
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

/** Throws `OPTION_INVALID` at the first of `host`, `path`, `allowedOrigins`, `metrics.host`, `admin.path` of the wrong shape. */
export function checkListenOptions(options: RouterOptions): void {
  checkHost('host', options.host);
  checkPath('path', options.path);
  checkOrigins(options.allowedOrigins);
  const { metrics, admin } = options;
  if (typeof metrics === 'object' && metrics !== null) checkHost('metrics.host', metrics.host);
  if (typeof admin === 'object' && admin !== null) checkPath('admin.path', admin.path);
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
