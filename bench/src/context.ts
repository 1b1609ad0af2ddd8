import type { BenchOptions, ScenarioName } from './options.js';
import type { SystemName } from './systems/system.js';

/** What a scenario run needs from the orchestrator. */
export interface RunContext {
  readonly options: BenchOptions;
  /** A progress line on stderr, with the elapsed time. */
  log(message: string): void;
  /** Where CPU profiles go (with `--profile`). */
  readonly profileDir: string;
  readonly profiles: string[];
}

/** One system's figures for one case of a scenario. */
export interface Measurement {
  scenario: ScenarioName;
  /** What was measured, e.g. `N=1000, 200 B`. */
  case: string;
  system: SystemName;
  /** Raw figures by metric key (see report.ts for units). */
  figures: Record<string, number>;
  /** Anything worth keeping in the JSON file (window, message counts, Date type on arrival...). */
  details: Record<string, unknown>;
  error?: string;
}

/** The topic every scenario publishes to and subscribes on. */
export const TOPIC = 'bench.feed';

/** Connections in flight per subscriber process while connecting. */
export const CONNECT_CONCURRENCY = 50;

export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
