/**
 * @herald/react: React hooks over `@herald/client`.
 *
 * The hooks exported here are typed by the Schema registered through module augmentation:
 *
 *   declare module '@herald/react' { interface Register { schema: MySchema } }
 *
 * or, without augmentation, take typed hooks from `createHeraldHooks<MySchema>()`.
 */
import type { DefaultSchema, HeraldSchema } from '@herald/protocol';
import { type HeraldHooks, createHeraldHooks } from './typed.js';

export { HeraldProvider, type HeraldProviderProps } from './provider.js';
export { type CallState, type ConnectionStatus, MAX_KEEP, SUBSCRIPTION_HOOK_OPTION_RANGES, type UseSubscriptionOptions } from './hooks.js';
export type { PresenceSnapshot, PresenceStatus, SubscriptionSnapshot, SubscriptionStatus } from './store.js';
export { type HeraldHooks, type PublishState, type RequestState, createHeraldHooks } from './typed.js';

/** Augment it to type the exported hooks: `interface Register { schema: MySchema }`. */
// biome-ignore lint/suspicious/noEmptyInterface: filled by module augmentation
export interface Register {}

/** The Schema given to {@link Register}, or `DefaultSchema` (payloads `unknown`). */
export type RegisteredSchema = Register extends { schema: infer S extends HeraldSchema } ? S : DefaultSchema;

const hooks: HeraldHooks<RegisteredSchema> = createHeraldHooks<RegisteredSchema>();

/** The provider's client; `undefined` during server rendering and until a `url` provider connected. */
export const useHerald: HeraldHooks<RegisteredSchema>['useHerald'] = hooks.useHerald;
/**
 * Subscribes to `pattern`, once per client however many components use it (released when the last
 * unmounts): the latest message (`data`, `meta`), the last `keep` ones, and the state.
 */
export const useSubscription: HeraldHooks<RegisteredSchema>['useSubscription'] = hooks.useSubscription;
/** Who is subscribed to `topic`: members and count, re-rendering on every join and leave. */
export const usePresence: HeraldHooks<RegisteredSchema>['usePresence'] = hooks.usePresence;
/** The client's state, or `idle` without a client (server rendering). */
export const useConnectionState: HeraldHooks<RegisteredSchema>['useConnectionState'] = hooks.useConnectionState;
/** `publish` with pending and error state; it never rejects. */
export const usePublish: HeraldHooks<RegisteredSchema>['usePublish'] = hooks.usePublish;
/** `request` for one method with pending, error and result state; it never rejects. */
export const useRequest: HeraldHooks<RegisteredSchema>['useRequest'] = hooks.useRequest;
