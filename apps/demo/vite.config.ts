import { fileURLToPath } from 'node:url';
import { defaultClientConditions, defineConfig } from 'vite';

const page = (file: string): string => fileURLToPath(new URL(file, import.meta.url));

export default defineConfig({
  // Bundle the workspace packages from their TypeScript sources (their exports map `herald-source`).
  resolve: { conditions: ['herald-source', ...defaultClientConditions] },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    rolldownOptions: {
      // Two pages: the demo, and the example page that embeds the <herald-feed> widget.
      input: { main: page('./index.html'), widget: page('./widget.html') },
      output: {
        // The widget's script keeps a stable name, so other sites can embed it with one tag:
        // <script type="module" src="http://host:8080/herald-feed.js"></script>
        entryFileNames: (chunk) => (chunk.name === 'widget' ? 'herald-feed.js' : 'assets/[name]-[hash].js'),
        // Code the page and the widget share, in chunks with telling names: the SDK
        // (@herald/client and what it imports) and the feed's rendering.
        codeSplitting: {
          groups: [
            { name: 'herald-client', test: /[\\/](packages|node_modules)[\\/]/ },
            { name: 'feed-view', test: /[\\/]src[\\/](feed-view|value-view|router-url|time-format)\.ts$/ },
          ],
        },
      },
    },
  },
  server: {
    host: '127.0.0.1',
    // `vite` (pnpm --filter @herald/demo dev) next to a running `pnpm demo`: the page's WebSocket
    // goes to the demo's router.
    proxy: { '/herald': { target: `ws://127.0.0.1:${process.env.HERALD_DEMO_PORT ?? '8080'}`, ws: true } },
  },
});
