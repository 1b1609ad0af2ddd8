/**
 * Summarizes a V8 `.cpuprofile` (the JSON that `node --cpu-prof` and the inspector's Profiler
 * write): self time per function and per area (Herald packages, ws, superjson, Node, GC...).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  hitCount?: number;
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface ProfileEntry {
  name: string;
  where: string;
  area: string;
  selfMs: number;
  percent: number;
}

export interface ProfileSummary {
  file: string;
  totalMs: number;
  functions: ProfileEntry[];
  areas: Array<{ area: string; selfMs: number; percent: number }>;
}

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

function area(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (url === '') {
    if (functionName === '(garbage collector)') return 'GC';
    if (functionName === '(idle)') return 'idle';
    if (functionName === '(program)') return 'native (program)';
    return 'V8 builtins and natives';
  }
  if (url.includes('/packages/server/')) return '@herald/server';
  if (url.includes('/packages/protocol/')) return '@herald/protocol';
  if (url.includes('/packages/client/')) return '@herald/client';
  if (/\/node_modules\/(\.pnpm\/[^/]+\/node_modules\/)?ws\//.test(url)) return 'ws';
  if (url.includes('/superjson/')) return 'superjson';
  if (url.includes('/socket.io') || url.includes('/engine.io')) return 'socket.io / engine.io';
  if (url.includes('/bench/')) return 'bench harness';
  if (url.startsWith('node:')) return 'node internals';
  return 'other';
}

function where(frame: CallFrame): string {
  if (frame.url === '') return '';
  let path = frame.url.startsWith('file://') ? fileURLToPath(frame.url) : frame.url;
  if (path.startsWith(REPO_ROOT)) path = path.slice(REPO_ROOT.length);
  path = path.replace(/^.*node_modules\/\.pnpm\/[^/]+\/node_modules\//, '');
  return `${path}:${frame.lineNumber + 1}`;
}

export function summarizeProfile(file: string, top = 15): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  // A sample lasts until the next one; the last one gets the mean interval.
  const meanUs = samples.length > 0 ? (profile.endTime - profile.startTime) / samples.length : 0;
  for (let i = 0; i < samples.length; i++) {
    const duration = i + 1 < deltas.length ? deltas[i + 1]! : meanUs;
    selfUs.set(samples[i]!, (selfUs.get(samples[i]!) ?? 0) + Math.max(0, duration));
  }
  let totalUs = 0;
  const functions = new Map<string, ProfileEntry>();
  const areas = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (node === undefined) continue;
    totalUs += us;
    const frame = node.callFrame;
    const entryArea = area(frame);
    areas.set(entryArea, (areas.get(entryArea) ?? 0) + us);
    const name = frame.functionName === '' ? '(anonymous)' : frame.functionName;
    const location = where(frame);
    const key = `${name}@${location}`;
    const entry = functions.get(key) ?? { name, where: location, area: entryArea, selfMs: 0, percent: 0 };
    entry.selfMs += us / 1000;
    functions.set(key, entry);
  }
  const totalMs = totalUs / 1000;
  const percent = (valueMs: number): number => (totalMs === 0 ? 0 : (valueMs / totalMs) * 100);
  return {
    file,
    totalMs,
    functions: [...functions.values()]
      .sort((a, b) => b.selfMs - a.selfMs)
      .slice(0, top)
      .map((entry) => ({ ...entry, percent: percent(entry.selfMs) })),
    areas: [...areas.entries()]
      .map(([name, us]) => ({ area: name, selfMs: us / 1000, percent: percent(us / 1000) }))
      .sort((a, b) => b.selfMs - a.selfMs),
  };
}

export function renderProfile(summary: ProfileSummary): string {
  const lines = [`CPU profile ${summary.file} (${(summary.totalMs / 1000).toFixed(2)} s sampled)`, '  by area (self time):'];
  for (const a of summary.areas) lines.push(`    ${a.percent.toFixed(1).padStart(5)}%  ${a.area}`);
  lines.push('  top functions (self time):');
  for (const f of summary.functions) {
    lines.push(`    ${f.percent.toFixed(1).padStart(5)}%  ${f.selfMs.toFixed(0).padStart(6)} ms  ${f.name}  ${f.where}`);
  }
  return lines.join('\n');
}
