/**
 * Scaling with the router's tables (issue 16): the topics scenario spreads the subscribers over
 * T topics and publishes round robin over them; the patterns scenario has every client of a fan-out
 * also hold its share of P patterns that match nothing published. Same flow control and figures
 * as fan-out; see spread-topics.ts for who subscribes to what.
 */
import { CONNECT_CONCURRENCY, type Measurement, type RunContext, TOPIC } from '../context.js';
import { Setup } from '../setup.js';
import type { SystemName } from '../systems/system.js';
import { checkSubscribers, measure } from './fanout.js';

export function topicsCase(topics: number, subscribers: number, size: number): string {
  return `T=${topics}, ${subscribers} subs, ${size} B`;
}

export function patternsCase(patterns: number, subscribers: number, size: number): string {
  return `P=${patterns}, N=${subscribers}, ${size} B`;
}

async function run(
  ctx: RunContext,
  system: SystemName,
  label: string,
  scenario: 'topics' | 'patterns',
  count: number,
  subscribers: number,
): Promise<Measurement> {
  const { options } = ctx;
  const held = scenario === 'topics' ? { topics: count } : { patterns: count };
  ctx.log(`${label}: ${subscribers} subscribers, ${scenario} ${count}`);
  const setup = await Setup.start(system, { subscribers, procs: options.procs, topic: TOPIC, concurrency: CONNECT_CONCURRENCY, ...held });
  try {
    const connected = await setup.connect();
    ctx.log(`${label}: subscribed in ${(connected.elapsedMs / 1000).toFixed(1)} s; measuring ${options.warmupSeconds}+${options.fanoutSeconds} s`);
    const { figures, details } = await measure(ctx, setup, {
      ...(scenario === 'topics' ? { topics: count } : {}),
      size: options.size,
      measureSeconds: options.fanoutSeconds,
      maxMessages: 10_000_000,
      profileName: `${scenario}-${system}-${count}`,
    });
    const checked = await checkSubscribers(setup);
    const caseName = scenario === 'topics' ? topicsCase(count, subscribers, options.size) : patternsCase(count, subscribers, options.size);
    return { scenario, case: caseName, system, figures, details: { ...details, ...checked, connectMs: connected.elapsedMs, subscribers, [scenario]: count } };
  } finally {
    await setup.close();
  }
}

/** Subscribers spread over `topics` topics, messages round robin over them. */
export function runTopics(ctx: RunContext, system: SystemName, topics: number, label: string): Promise<Measurement> {
  return run(ctx, system, label, 'topics', topics, ctx.options.topicsSubscribers);
}

/** A fan-out to every subscriber while the router holds `patterns` patterns that match nothing. */
export function runPatterns(ctx: RunContext, system: SystemName, patterns: number, label: string): Promise<Measurement> {
  return run(ctx, system, label, 'patterns', patterns, ctx.options.patternsSubscribers);
}
