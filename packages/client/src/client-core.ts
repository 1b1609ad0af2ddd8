/**
 * The seam between the client and its parts loaded on demand (requests.ts, handlers.ts, the token
 * refresh): what those modules see of the client, and the error when one cannot be loaded.
 */
import { ConnectionError, type Codec, type ClientMessage, HeraldError, RemoteError, type ServerMessage, TimeoutError, VERBOSE_ERRORS } from '@herald/protocol';
import type { Provider } from './handlers.js';
import type { Outgoing, PendingReply, Sent } from './outbox.js';
import type { ClientState } from './state.js';

/**
 * What the features loaded on demand (requests.ts, handlers.ts) use of the client, including the
 * protocol's classes the page has anyway: those modules import no module of the page at run time,
 * so a bundler keeps the protocol modules in the page's chunk instead of moving them to a third
 * chunk shared by both (Vite 8's Rolldown does that: rolldown/rolldown#10731), which cost every
 * page ~0.65 KB. What only they use (handler-failure.ts) they import, and it goes in their chunk.
 */
export interface ClientCore {
  readonly codec: Codec;
  readonly lib: FeatureLib;
  readonly state: ClientState;
  assertUsable(): void;
  /** Encodes a frame. */
  frame(message: ClientMessage & { payload?: string }): string;
  /** Throws PAYLOAD_TOO_LARGE for a frame over the router's maxPayload. */
  checkSize(frame: string): void;
  sendOrQueue(build: (id: number) => string, kind: 'publish' | 'request'): Sent;
  send(frame: string): boolean;
  /** Whether the router passes stacks on to callers. */
  errorStacks(): boolean;
  report(error: unknown): void;
  request(message: Outgoing, kind: PendingReply['kind'], survival: PendingReply['survival']): Promise<ServerMessage>;
  sendHandle(method: string): void;
  provider(): Provider | undefined;
  installProvider(provider: Provider): Provider;
}

/** The protocol's run-time values that requests.ts and handlers.ts use, handed over through {@link ClientCore}. */
export interface FeatureLib {
  HeraldError: typeof HeraldError;
  RemoteError: typeof RemoteError;
  TimeoutError: typeof TimeoutError;
}

export const LIB: FeatureLib = { HeraldError, RemoteError, TimeoutError };

/**
 * A part of the client loaded on first use (requests, the token refresh) could not be loaded: the
 * page's build is missing a file, often one a deploy replaced. Rejects with MODULE_LOAD_FAILED.
 */
export function moduleLoadFailed(part: string, cause: unknown): never {
  throw new ConnectionError(
    'MODULE_LOAD_FAILED',
    VERBOSE_ERRORS ? `could not load @herald/client's ${part} module (${String(cause)}): serve every file of the page's build, and reload a page opened before a deploy` : '',
    { cause, retryable: true },
  );
}
