import react from '@vitejs/plugin-react';
import { defaultClientConditions, defineConfig } from 'vite';

export default defineConfig({
  plugins: [react()],
  // Bundle the workspace packages from their TypeScript sources (their exports map `herald-source`).
  resolve: { conditions: ['herald-source', ...defaultClientConditions] },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', sourcemap: true },
  server: { host: '127.0.0.1' },
});
