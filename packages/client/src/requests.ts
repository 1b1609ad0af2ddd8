/**
 * Requests, loaded on first use (`client.request`, `client.handle`, `client.methods`), so that a
 * page that only subscribes and publishes does not download them.
 */
// Types only from the protocol: its run-time values come through `core.lib` (see ClientCore).
import type { HeraldError, MethodWire, ServerMessage } from '@herald/protocol';
import type { ClientCore } from './client-core.js';
import type { Sent } from './outbox.js';
import { type HandlerRegistration, Provider, type RequestHandler } from './handlers.js';

/** Options of `client.request()`. */
export interface RequestOptions {
  /** Milliseconds to wait for the reply before failing with `TIMEOUT`. Default 10,000. */
  timeout?: number;
  /** Cancels the request: it rejects with `REQUEST_CANCELLED` and the provider's signal aborts. */
  signal?: AbortSignal;
}

/**
 * Waits for the reply to a request the client already sent or queued (in call order), with its
 * timeout and AbortSignal, and turns the reply into the result or the error.
 */
export async function settle(core: ClientCore, sent: Sent, method: string, timeout: number, signal: AbortSignal | undefined): Promise<unknown> {
  const { RemoteError, TimeoutError } = core.lib;
  // The provider learns which it was: its signal's reason is a TIMEOUT or a REQUEST_CANCELLED error.
  const giveUp = (error: HeraldError, reason: 'timeout' | 'cancelled'): void => {
    if (!sent.cancel()) return;
    if (sent.id !== undefined) core.send(core.frame({ type: 'cancel', id: sent.id, reason }));
    sent.reject(error);
  };
  const timer = setTimeout(
    () => giveUp(new TimeoutError('TIMEOUT', `no reply to "${method}" within ${timeout} ms`, { retryable: true }), 'timeout'),
    // Timers take at most 2³¹−1 ms (longer ones fire at once); the router caps timeouts far lower.
    Math.min(timeout, 2_147_483_647),
  );
  const onAbort = (): void => giveUp(cancelled(core, method, signal?.reason), 'cancelled');
  if (signal?.aborted) onAbort();
  signal?.addEventListener('abort', onAbort, { once: true });
  let reply: ServerMessage;
  try {
    reply = await sent.promise;
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
  if (reply.type === 'response_error') {
    let data: unknown;
    if (reply.data !== undefined) {
      const decoded = core.codec.decode(reply.data);
      data = decoded.ok ? decoded.value : undefined;
    }
    throw new RemoteError(reply.code, reply.message, { data, ...(reply.stack !== undefined && { remoteStack: reply.stack }) });
  }
  if (reply.type !== 'response') throw unexpected(core, reply);
  const result = core.codec.decode(reply.payload as string);
  if (!result.ok) throw result.error;
  return result.value;
}

export async function handle(core: ClientCore, method: string, handler: RequestHandler): Promise<HandlerRegistration> {
  const { HeraldError } = core.lib;
  const existing = core.provider();
  if (existing?.has(method)) throw new HeraldError('HANDLER_EXISTS', `this client already handles "${method}"`);
  core.assertUsable();
  const provider = existing ?? core.installProvider(new Provider(core));
  provider.set(method, handler);
  try {
    await provider.registered(method, () => core.state === 'open' && core.sendHandle(method));
  } catch (error) {
    provider.delete(method);
    throw error;
  }
  let registered = true;
  const unregister = async (): Promise<void> => {
    if (!registered) return;
    registered = false;
    // Requests the router routed here before it read `unhandle` arrive before its reply: keep
    // serving them until then.
    if (core.state === 'open') {
      await core.request({ type: 'unhandle', method }, 'other', 'fail').catch((error: unknown) => {
        if (!(error instanceof HeraldError && error.code === 'CONNECTION_CLOSED')) throw error;
      });
    }
    provider.delete(method);
  };
  return { method, unregister, [Symbol.asyncDispose]: unregister };
}

export async function methods(core: ClientCore): Promise<MethodWire[]> {
  const reply = await core.request({ type: 'list_methods' }, 'other', 'fail');
  if (reply.type !== 'methods') throw unexpected(core, reply);
  return reply.methods;
}

function cancelled(core: ClientCore, method: string, reason: unknown): HeraldError {
  return new core.lib.HeraldError('REQUEST_CANCELLED', `the request for "${method}" was cancelled`, { cause: reason });
}

function unexpected(core: ClientCore, message: ServerMessage): HeraldError {
  return new core.lib.HeraldError('PROTOCOL_INVALID_MESSAGE', `unexpected reply "${message.type}"`);
}
