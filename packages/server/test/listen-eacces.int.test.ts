/**
 * `LISTEN_FAILED` for EACCES (a port below `net.ipv4.ip_unprivileged_port_start` without the
 * privilege to bind it), provoked for real: the tests run as root, which binds any port, so the
 * router runs in a child process that becomes `nobody` (uid 65534, no capabilities) once its
 * modules are loaded. The port (1) is refused by the kernel's permission check before any binding:
 * nothing is opened, no port is probed. Skipped where port 1 is not privileged (the sysctl at 0 or 1, as some containers set
 * it) or the test cannot drop privileges; listen-failure.test.ts covers the mapping either way.
 * Needs `pnpm build` (the child imports the built package).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const PORT = 1;
const SCRIPT = fileURLToPath(new URL('./fixtures/privileged-port-router.mjs', import.meta.url));
const BUILT = fileURLToPath(new URL('../dist/index.js', import.meta.url));

/** The first port anyone may bind, or 0 when this system does not say. */
function unprivilegedPortStart(): number {
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8').trim());
  } catch {
    return 0;
  }
}

const canTest = unprivilegedPortStart() > PORT && process.getuid !== undefined;

describe('createRouter: a port that needs privileges', () => {
  it.skipIf(!canTest)('rejects with LISTEN_FAILED whose cause is EACCES, not retryable', async () => {
    if (!existsSync(BUILT)) throw new Error(`${BUILT} is missing: run \`pnpm build\` first`);
    // As root, the child drops to nobody itself once its modules are loaded (the fixture's header).
    const child = spawn(process.execPath, [SCRIPT, String(PORT)], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
      const [exitCode] = (await once(child, 'exit')) as [number | null];
      expect(exitCode).toBe(0);
      expect(JSON.parse(out)).toEqual({ name: 'HeraldError', code: 'LISTEN_FAILED', cause: 'EACCES', retryable: false });
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill();
    }
  });
});
