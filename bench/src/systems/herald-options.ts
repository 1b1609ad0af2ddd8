/**
 * The router options every Herald server of the bench runs with (systems/herald.ts, and
 * router-connect.ts, which may load another build of `@herald/server`: so a module of its own,
 * importing none).
 */
export const BENCH_ROUTER_OPTIONS = {
  host: '127.0.0.1',
  port: 0,
  logger: false,
  maxConnections: 100_000,
  // Every bench client comes from 127.0.0.1 and floods on purpose: no per-address or rate limits.
  maxConnectionsPerAddress: 100_000,
  maxPendingPerAddress: 100_000,
  connectionsPerAddress: false,
  limits: { publishes: false, publishBytes: false, subscribes: false, calls: false },
} as const;

/** Heartbeat options for an interval: the timeout three intervals, as the bench always sets it. */
export const benchHeartbeat = (intervalMs: number): { heartbeatIntervalMs: number; heartbeatTimeoutMs: number } => ({
  heartbeatIntervalMs: intervalMs,
  heartbeatTimeoutMs: 3 * intervalMs,
});
