/**
 * The packages as an npm user gets them: every publishable package under packages/ is packed
 * (`pnpm pack`, which rewrites `workspace:` and `catalog:` ranges), linted by publint and
 * @arethetypeswrong/cli (offline, on the tarball), then installed with plain npm into an empty
 * project outside the workspace (the Herald packages from the tarballs, third-party dependencies
 * from the registry). There: a Node round trip with a Date, a Map and a BigInt, require() from
 * CommonJS, a type check with `skipLibCheck: false`, and a Vite build of a page importing the client.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FIXTURE = fileURLToPath(new URL('./fixture/', import.meta.url));
const BIN = join(ROOT, 'node_modules', '.bin');

interface Manifest {
  name: string;
  private?: boolean;
  license?: string;
  repository?: { url?: string; directory?: string };
  homepage?: string;
  bugs?: { url?: string };
  keywords?: string[];
  exports?: Record<string, Record<string, string>>;
}

const publishable = readdirSync(join(ROOT, 'packages'), { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && existsSync(join(ROOT, 'packages', entry.name, 'package.json')))
  .map((entry) => ({ dir: join(ROOT, 'packages', entry.name), folder: entry.name, manifest: readManifest(join(ROOT, 'packages', entry.name)) }))
  .filter((pkg) => pkg.manifest.private !== true);

function readManifest(dir: string): Manifest {
  return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest;
}

/** The catalog's version of a dependency (pnpm-workspace.yaml), so the check installs what we test with. */
function catalogVersion(name: string): string {
  const yaml = readFileSync(join(ROOT, 'pnpm-workspace.yaml'), 'utf8');
  const line = yaml.split('\n').find((l) => l.trim().replace(/^'|'(?=:)/g, '').startsWith(`${name}:`));
  if (line === undefined) throw new Error(`no catalog entry for ${name}`);
  return line.split(':').slice(1).join(':').trim();
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end (the child exits by itself; a timeout kills it by pid). */
function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd, env: { ...outsideEnv(), ...env }, timeout: 180_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
      resolve({ code, stdout, stderr });
    });
  });
}

/** This process's environment less what pnpm adds for scripts (npm_config_*, npm_package_*): an npm user has none of it. */
function outsideEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key)));
}

let packDir: string;
let project: string;
const tarballs = new Map<string, string>();
// npm with no user config: the machine's ~/.npmrc has keys npm warns about, which are not ours.
const NPM_ENV = { NPM_CONFIG_USERCONFIG: '', NPM_CONFIG_UPDATE_NOTIFIER: 'false', NPM_CONFIG_FUND: 'false', NPM_CONFIG_AUDIT: 'false' };

beforeAll(async () => {
  packDir = mkdtempSync(join(tmpdir(), 'herald-pack-'));
  project = mkdtempSync(join(tmpdir(), 'herald-npm-user-'));
  writeFileSync(join(packDir, 'empty.npmrc'), '');
  NPM_ENV.NPM_CONFIG_USERCONFIG = join(packDir, 'empty.npmrc');
  // One at a time: each pack's prepack runs `tsc -b`, and they share the protocol's output.
  for (const pkg of publishable) {
    const packed = await run('pnpm', ['pack', '--pack-destination', packDir], pkg.dir);
    expect(packed.code, packed.stderr).toBe(0);
    const file = readdirSync(packDir).find((f) => f.startsWith(pkg.manifest.name.replace('@', '').replace('/', '-')) && f.endsWith('.tgz'));
    expect(file, `tarball of ${pkg.manifest.name}`).toBeDefined();
    tarballs.set(pkg.manifest.name, join(packDir, file!));
  }
}, 300_000);

afterAll(() => {
  rmSync(packDir, { recursive: true, force: true });
  rmSync(project, { recursive: true, force: true });
});

describe.each(publishable.map((pkg) => [pkg.manifest.name, pkg] as const))('%s', (name, pkg) => {
  it('has its LICENSE, repository, homepage, bugs, keywords and a README that stands alone', () => {
    const { manifest } = pkg;
    expect(manifest.license).toBe('MIT');
    expect(readFileSync(join(pkg.dir, 'LICENSE'), 'utf8')).toMatch(/^MIT License/);
    expect(manifest.repository?.url).toMatch(/^git\+https:\/\//);
    expect(manifest.repository?.directory).toBe(`packages/${pkg.folder}`);
    expect(manifest.homepage).toMatch(/^https:\/\//);
    expect(manifest.bugs?.url).toMatch(/^https:\/\//);
    expect(manifest.keywords?.length).toBeGreaterThan(0);
    const readme = readFileSync(join(pkg.dir, 'README.md'), 'utf8');
    expect(readme).not.toMatch(/\]\(\.\.?\//); // no relative links: npm shows the README alone
  });

  it('ships no .tsbuildinfo, no test files, and the sources its maps and herald-source point at', async () => {
    const listing = await run('tar', ['tzf', tarballs.get(name)!], packDir);
    const files = listing.stdout.split('\n').filter(Boolean).map((f) => f.replace(/^package\//, ''));
    expect(files).toContain('LICENSE');
    expect(files).toContain('README.md');
    expect(files.filter((f) => f.endsWith('.tsbuildinfo'))).toEqual([]);
    expect(files.filter((f) => /\.test(-d)?\.ts$/.test(f))).toEqual([]);
    for (const map of files.filter((f) => f.endsWith('.map'))) {
      const source = map.replace(/^dist\//, 'src/').replace(/\.(d\.ts|js)\.map$/, '.ts');
      expect(files, `${map} points at ${source}`).toContain(source);
    }
    for (const target of Object.values(pkg.manifest.exports ?? {}).flatMap((conditions) => Object.values(conditions))) {
      expect(files, `export target ${target}`).toContain(target.replace(/^\.\//, ''));
    }
  });

  it('passes publint and @arethetypeswrong/cli', async () => {
    const lint = await run(join(BIN, 'publint'), ['run', '--strict', tarballs.get(name)!], packDir);
    expect(lint.code, lint.stdout + lint.stderr).toBe(0);
    // esm-only: the packages are ESM; CommonJS callers load them with require() on Node >= 20.19
    // (checked below), which attw's node16-cjs resolution does not model.
    const types = await run(join(BIN, 'attw'), [tarballs.get(name)!, '--profile', 'esm-only', '--format', 'ascii'], packDir);
    expect(types.code, types.stdout + types.stderr).toBe(0);
  }, 60_000); // two node tools on a tarball: 2.6-3.6 s at load ~6, so several times that on a busier machine
});

describe('installed with npm in an empty project', () => {
  beforeAll(async () => {
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'herald-npm-user', private: true, type: 'module' }, null, 2));
    for (const file of ['round-trip.mjs', 'require.cjs', 'types.ts', 'tsconfig.json', 'index.html', 'page.js']) {
      copyFileSync(join(FIXTURE, file), join(project, file));
    }
    const installed = await run(
      'npm',
      ['install', '--no-audit', '--no-fund', ...tarballs.values(), `vite@${catalogVersion('vite')}`, `typescript@${catalogVersion('typescript')}`],
      project,
      NPM_ENV,
    );
    expect(installed.code, installed.stderr).toBe(0);
    expect(installed.stderr.split('\n').filter((l) => /warn/i.test(l))).toEqual([]);
  }, 300_000);

  it('runs a router and a client in Node: a Date, a Map and a BigInt arrive intact', async () => {
    const result = await run('node', ['round-trip.mjs'], project);
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('round trip ok');
    expect(result.code).toBe(0);
  });

  it('installs the herald command', async () => {
    const result = await run(join(project, 'node_modules', '.bin', 'herald'), ['--help'], project);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^herald: serve a Herald router/);
  });

  it('loads from CommonJS with require(), without a warning', async () => {
    const result = await run('node', ['require.cjs'], project);
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('require ok');
  });

  it('type-checks with skipLibCheck: false (runtime type dependencies are dependencies)', async () => {
    const result = await run(join(project, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.json'], project);
    expect(result.stdout + result.stderr).toBe('');
    expect(result.code).toBe(0);
  }, 120_000);

  it('builds a Vite page that imports the client, without a warning', async () => {
    const result = await run(join(project, 'node_modules', '.bin', 'vite'), ['build', '--logLevel', 'warn'], project);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout + result.stderr).toBe('');
    const assets = readdirSync(join(project, 'dist', 'assets'));
    const bundle = assets.filter((f) => f.endsWith('.js')).map((f) => readFileSync(join(project, 'dist', 'assets', f), 'utf8')).join('\n');
    expect(bundle).toContain('herald.v1'); // the client is in the bundle
    expect(bundle).not.toMatch(/from ?["']ws["']|require\(["']ws["']\)/); // and Node's ws is not
  }, 120_000);
});
