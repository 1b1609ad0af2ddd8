/**
 * Values a request carries (params, results, failures' data): encoded text in some codec, or an
 * in-process value (`router.request`, `router.handle`), and their conversions between codecs,
 * nodes and values.
 */
import { type Codec, ErrorCode, HeraldError, transcode } from '@herald/protocol';
import type { RequestCluster } from './requests.js';

/** A value on its way: encoded text in some codec, or an in-process value. */
export type Carried = { codec: Codec; text: string } | { value: unknown };

/** A request's failure on its way to the caller. */
export interface Failure {
  code: string;
  message: string;
  data?: Carried;
  stack?: string;
}

/** An error thrown by a handler or a conversion, as a failure with `fallback` as its code unless it has one. */
export function asFailure(error: unknown, fallback: string): Failure {
  const code = error instanceof HeraldError ? error.code : fallback;
  return { code, message: error instanceof Error ? error.message : String(error) };
}

/** The carried value as text in `codec` (encoded, or transcoded); throws when it cannot be. */
export function textIn(carried: Carried, codec: Codec): string {
  if ('value' in carried) return codec.encode(carried.value);
  return transcode(carried.text, carried.codec, codec);
}

/** The carried value, decoded when it is text. */
export function valueOf(carried: Carried): { ok: true; value: unknown } | { ok: false; message: string } {
  if ('value' in carried) return { ok: true, value: carried.value };
  const decoded = carried.codec.decode(carried.text);
  return decoded.ok ? { ok: true, value: decoded.value } : { ok: false, message: decoded.error.message };
}

/** The `REQUEST_CANCELLED` error of an aborted `router.request`. */
export function cancelled(method: string, reason: unknown): HeraldError {
  return new HeraldError(ErrorCode.REQUEST_CANCELLED, `the request for "${method}" was cancelled`, { cause: reason });
}

/** A value as text in a codec the other node knows (in-process values in the first codec). */
export function portable(carried: Carried, cluster: RequestCluster | undefined): { codec: string; text: string } | undefined {
  if (!('value' in carried)) return { codec: carried.codec.name, text: carried.text };
  const codec = cluster?.codec('');
  try {
    return codec === undefined ? undefined : { codec: codec.name, text: codec.encode(carried.value) };
  } catch {
    return undefined;
  }
}

/** A caller's info routed from another node, transcoded to the provider's codec (undefined when it cannot be). */
export function routedInfo(info: { codec: string; text: string } | undefined, codec: Codec, cluster: RequestCluster | undefined): string | undefined {
  const from = info === undefined ? undefined : cluster?.codec(info.codec);
  if (from === undefined) return undefined;
  try {
    return transcode(info!.text, from, codec);
  } catch {
    return undefined;
  }
}
