// Run by each package's prepack (cwd: the package): deletes what tsc left in dist/ for sources
// that no longer exist (tsc -b never removes the outputs of a deleted or renamed file), so a
// tarball never ships stale modules or maps pointing at sources that are gone. Only orphans are
// touched: tests running from dist/ meanwhile are not disturbed.
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';

const dist = 'dist';
function walk(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      walk(path);
      continue;
    }
    const match = /^(.*)\.(?:js|d\.ts)(?:\.map)?$/.exec(relative(dist, path));
    if (match === null) continue;
    const base = join('src', match[1]);
    if (!['.ts', '.tsx', '.mts'].some((ext) => existsSync(base + ext))) rmSync(path);
  }
}
if (existsSync(dist)) walk(dist);
