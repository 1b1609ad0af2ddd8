import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The suite drives the built demo: say so plainly when it is missing. */
export default function globalSetup(): void {
  const needed = ['../apps/react-dashboard/dist/index.html', '../apps/demo/dist/index.html', '../apps/demo/dist/widget.html', '../apps/demo/dist-server/demo.js', '../apps/demo/dist-server/member.js'];
  const missing = needed.map((file) => fileURLToPath(new URL(file, import.meta.url))).filter((file) => !existsSync(file));
  if (missing.length > 0) {
    throw new Error(`the demo is not built (missing ${missing.join(', ')}): run \`pnpm build\` at the repository root first`);
  }
}
