/**
 * What the router's hot paths report when metrics are on (see metrics.ts). Each hook is one
 * counter increment or one histogram observation; with metrics off the hub holds no observer
 * and a hook costs one property read.
 */
export interface RouterObserver {
  /** A request ended: `outcome` is `ok`, `remote_error` (the handler failed) or the router's error code. */
  requestSettled(outcome: string, seconds: number): void;
  /** A request was refused before reaching a provider (`NO_HANDLER`, `REQUEST_LIMIT`, …). */
  requestRefused(code: string): void;
  /** A client's `operation` (a message type) was refused RATE_LIMITED (or its connection closed 4300). */
  rateLimited(operation: string): void;
  /** The engine stamped a publication on `topic` (or failed to) after `seconds`. */
  enginePublish(seconds: number, ok: boolean, topic: string): void;
}
