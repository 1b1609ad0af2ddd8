/**
 * The READMEs' TypeScript examples type-check against the packages as a user imports them (a doc
 * test, as Rust's doctests): every ```ts and ```tsx block of README.md and packages/*\/README.md is
 * one virtual file of one TypeScript program, compiled with the repository's strict settings
 * (tsconfig.check.json) against the built packages (`@herald/server` resolves through its
 * `exports` to dist/index.d.ts, as for an npm user: run `pnpm build` first).
 *
 * Blocks are fragments, so (the convention, also in README.md's "Repository" section):
 * - `<!-- doctest: <TypeScript> -->` on the line before a block is put before the block's code
 *   (not shown by GitHub or npm): `declare` there the free names a fragment assumes
 *   (`declare const url: string;`); `<!-- doctest: skip -->` leaves the block out (pseudo-code).
 * - A line whose comment says `compile error` must not compile (and its errors are expected).
 * - Each block is a module of its own (`export {}` is appended): top-level `await` works, and
 *   names do not leak from one block into another, so a block imports what it uses.
 * Other fences (sh, json, js) are not checked.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PACKAGES = join(ROOT, 'packages');
const packageDirs = readdirSync(PACKAGES, { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && existsSync(join(PACKAGES, entry.name, 'package.json')))
  .map((entry) => join(PACKAGES, entry.name));

/** One ```ts or ```tsx block of a README. */
interface Block {
  /** README path, relative to the repository root. */
  readme: string;
  /** 1-based line of the opening fence. */
  line: number;
  /** The virtual file's absolute path (in the README's folder, so it resolves imports from there). */
  file: string;
  /** The directive's code, then the block's code (line `preludeLines + 1` is the block's first line). */
  text: string;
  preludeLines: number;
  /** 0-based lines of the virtual file whose comment says `compile error`. */
  failing: Set<number>;
}

const DIRECTIVE = /^<!--\s*doctest:([\s\S]*?)-->\s*$/;

/** The ```ts/```tsx blocks of one README, each with the directive on the line before it. */
function extractBlocks(readme: string, markdown: string): Block[] {
  const lines = markdown.split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*([\w-]*)/.exec(lines[i] ?? '');
    if (open === null) continue;
    const fence = open[2] ?? '```';
    const lang = open[3] ?? '';
    let end = i + 1;
    while (end < lines.length && !(lines[end] ?? '').trimStart().startsWith(fence)) end++;
    const body = lines.slice(i + 1, end);
    const directive = DIRECTIVE.exec((lines[i - 1] ?? '').trim());
    const start = i;
    i = end;
    if (lang !== 'ts' && lang !== 'tsx' && lang !== 'typescript') continue;
    const prelude = directive?.[1]?.trim() ?? '';
    if (prelude === 'skip') continue;
    const preludeLines = prelude === '' ? 0 : prelude.split('\n').length;
    const failing = new Set<number>();
    body.forEach((text, n) => {
      if (/\/\/.*\bcompile error\b/.test(text)) failing.add(preludeLines + n);
    });
    blocks.push({
      readme,
      line: start + 1,
      file: join(ROOT, `${readme}.${start + 1}.${lang === 'tsx' ? 'tsx' : 'ts'}`),
      text: [...(prelude === '' ? [] : [prelude]), ...body, 'export {};', ''].join('\n'),
      preludeLines,
      failing,
    });
  }
  return blocks;
}

/** The repository's strict settings for test code (tsconfig.check.json), emitting nothing. */
function compilerOptions(): ts.CompilerOptions {
  const parsed = ts.getParsedCommandLineOfConfigFile(join(ROOT, 'tsconfig.check.json'), {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => {
      throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    },
  });
  if (parsed === undefined) throw new Error('tsconfig.check.json did not parse');
  return { ...parsed.options, noEmit: true, noUnusedLocals: false, noUnusedParameters: false };
}

/** Where a diagnostic is, in README terms: `README.md:42` (the block's line for the directive). */
function locate(block: Block, diagnostic: ts.Diagnostic): { readmeLine: number; fileLine: number } {
  if (diagnostic.file === undefined || diagnostic.start === undefined) return { readmeLine: block.line, fileLine: -1 };
  const fileLine = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start).line;
  const inBody = fileLine - block.preludeLines;
  return { readmeLine: inBody < 0 ? block.line - 1 : block.line + 1 + inBody, fileLine };
}

/** Type-checks blocks as one program (a virtual file each); one line per problem, README path and line first. */
function typeCheck(blocks: readonly Block[]): string[] {
  const options = compilerOptions();
  const virtual = new Map(blocks.map((block) => [block.file, block]));
  const host = ts.createCompilerHost(options, true);
  const { fileExists, readFile, getSourceFile } = host;
  host.fileExists = (file) => virtual.has(file) || fileExists.call(host, file);
  host.readFile = (file) => virtual.get(file)?.text ?? readFile.call(host, file);
  host.getSourceFile = (file, language, ...rest) => {
    const block = virtual.get(file);
    return block === undefined ? getSourceFile.call(host, file, language, ...rest) : ts.createSourceFile(file, block.text, language, true);
  };
  // An example imports what its user installed. In the workspace each package's dependencies are
  // linked in that package's folder only, so a name not found from the README's folder is looked
  // up from each package's folder (a package finds itself by name, through its `exports`).
  host.resolveModuleNameLiterals = (literals, containingFile, redirected, opts, sourceFile) =>
    literals.map((literal) => {
      const mode = ts.getModeForUsageLocation(sourceFile, literal, opts);
      const from = [containingFile, ...(virtual.has(containingFile) ? packageDirs.map((dir) => join(dir, 'README.md.ts')) : [])];
      for (const origin of from) {
        const found = ts.resolveModuleName(literal.text, origin, opts, host, undefined, redirected, mode);
        if (found.resolvedModule !== undefined) return found;
      }
      return ts.resolveModuleName(literal.text, containingFile, opts, host, undefined, redirected, mode);
    });

  const program = ts.createProgram({ rootNames: [...virtual.keys()], options, host });
  const problems = program.getGlobalDiagnostics().map((d) => `(global): TS${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n  ')}`);
  for (const block of blocks) {
    const source = program.getSourceFile(block.file);
    if (source === undefined) throw new Error(`${block.readme}:${block.line}: not in the program`);
    const failed = new Set<number>();
    for (const d of [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)]) {
      const { readmeLine, fileLine } = locate(block, d);
      if (block.failing.has(fileLine)) failed.add(fileLine);
      else problems.push(`${block.readme}:${readmeLine} (block at line ${block.line}): TS${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n  ')}`);
    }
    for (const fileLine of block.failing) {
      if (!failed.has(fileLine)) problems.push(`${block.readme}:${block.line + 1 + fileLine - block.preludeLines} (block at line ${block.line}): says "compile error" but compiles`);
    }
  }
  return problems;
}

const readmes = [join(ROOT, 'README.md'), ...packageDirs.map((dir) => join(dir, 'README.md')).filter((path) => existsSync(path))];
const blocks = readmes.flatMap((path) => extractBlocks(relative(ROOT, path), readFileSync(path, 'utf8')));

/** A README of mistakes, to check that each is reported where it is (in the client's folder, as its README). */
const SELF_TEST = [
  '# Mistakes',
  '```ts',
  "import { connect } from '@herald/client';",
  "const client = await connect('ws://127.0.0.1:8080/');",
  "await client.publsh('a.b', 1);",
  "await client.publish('a.b', 1); // compile error (it is not)",
  '```',
  '<!-- doctest: declare const url: string; -->',
  '```ts',
  "import { connect } from '@herald/client';",
  'await connect(url, { name: 7 });',
  '```',
  '<!-- doctest: skip -->',
  '```ts',
  'anything at all',
  '```',
  '```sh',
  'herald pub a.b 1',
  '```',
  '```tsx',
  'const element = <p>{render()}</p>;',
  '```',
].join('\n');
const selfTest = extractBlocks('packages/client/MISTAKES.md', SELF_TEST);

it('finds the examples of every README', () => {
  expect(new Set(blocks.map((b) => b.readme))).toEqual(
    new Set(['README.md', ...['client', 'protocol', 'react', 'redis', 'server', 'testkit'].map((p) => `packages/${p}/README.md`)]),
  );
  expect(blocks.length).toBeGreaterThanOrEqual(17);
  expect(selfTest.map((b) => [b.line, b.preludeLines, b.file.slice(ROOT.length)])).toEqual([
    [2, 0, 'packages/client/MISTAKES.md.2.ts'],
    [9, 1, 'packages/client/MISTAKES.md.9.ts'],
    [20, 0, 'packages/client/MISTAKES.md.20.tsx'],
  ]);
});

it("every README's TypeScript examples type-check (and a mistake is reported at its README line)", () => {
  for (const dir of packageDirs) {
    if (!existsSync(join(dir, 'dist', 'index.d.ts'))) throw new Error(`${relative(ROOT, dir)}/dist is missing: run pnpm build first`);
  }
  const problems = typeCheck([...blocks, ...selfTest]);
  expect(problems.filter((p) => !p.startsWith('packages/client/MISTAKES.md')).join('\n')).toBe('');
  expect(problems.filter((p) => p.startsWith('packages/client/MISTAKES.md')).map((p) => /^(\S+) \(block at line \d+\): (TS\d+|says)/.exec(p)?.slice(1))).toEqual([
    ['packages/client/MISTAKES.md:5', 'TS2551'], // publsh: did you mean publish?
    ['packages/client/MISTAKES.md:6', 'says'], // "compile error" but compiles
    ['packages/client/MISTAKES.md:11', 'TS2322'], // name: a number
    ['packages/client/MISTAKES.md:21', 'TS2304'], // render: not declared
  ]);
});
