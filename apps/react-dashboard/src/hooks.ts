import { createHeraldHooks } from '@herald/react';
import type { Schema } from './schema.js';

/** The hooks, typed by the dashboard's Schema. */
export const { useConnectionState, usePresence, usePublish, useRequest, useSubscription } = createHeraldHooks<Schema>();
