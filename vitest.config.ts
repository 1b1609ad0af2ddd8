import { readdirSync } from 'node:fs';
import { defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

// One project per folder in packages/, named after the folder.
const projects = readdirSync(new URL('./packages', import.meta.url), { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => ({
    extends: true as const,
    test: {
      name: entry.name,
      root: `packages/${entry.name}`,
      include: ['src/**/*.test.ts', 'src/**/*.test.tsx', 'test/**/*.test.ts', 'test/**/*.test.tsx'],
      typecheck: { enabled: true, include: ['test/**/*.test-d.ts'], tsconfig: '../../tsconfig.check.json' },
    },
  }));

// The packed packages, installed with npm outside the workspace (slow: about a minute).
projects.push({ extends: true as const, test: { name: 'packaging', root: 'packaging', include: ['*.test.ts'], typecheck: { enabled: false, include: [], tsconfig: '../tsconfig.check.json' } } });

export default defineConfig({
  // Node tests run in Vite's SSR environment: resolve workspace packages to their TypeScript sources.
  ssr: { resolve: { conditions: ['herald-source', ...defaultServerConditions] } },
  // DOM tests (packages/react, `// @vitest-environment happy-dom`) run in Vite's client environment,
  // but still in Node next to a real router: resolve as Node does (`ws`, not its browser stub).
  resolve: { conditions: ['herald-source', ...defaultServerConditions], mainFields: ['module', 'main'] },
  test: {
    projects,
    testTimeout: 20_000,
    hookTimeout: 20_000,
    reporters: process.env.CI ? ['default', ['json', { outputFile: 'reports/vitest.json' }]] : ['default'],
  },
});
