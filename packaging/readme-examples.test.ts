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
 *
 * The `@example`s of the exported symbols' JSDoc in packages/*\/src (what an editor's hover and a
 * docs site show) are checked the same way, in the same program, each a virtual file next to its
 * source: the fenced ```ts/```tsx (or language-less) blocks of an example, or the whole example when it
 * has none (TSDoc's and TypeScript's two forms). There the directive is a line of the example:
 * `// doctest: declare const url: string` is that code, `// doctest: skip` leaves the example out.
 * A problem is reported at the source line (`packages/client/src/connect.ts:22`).
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

/** One ```ts or ```tsx block of a README, or one `@example` of a source file's JSDoc. */
interface Block {
  /** README or source path, relative to the repository root. */
  source: string;
  /** 1-based line of the opening fence (or `@example` tag): the block's code starts on the next line. */
  line: number;
  /** The virtual file's absolute path (in the document's folder, so it resolves imports from there). */
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
      source: readme,
      line: start + 1,
      file: join(ROOT, `${readme}.${start + 1}.${lang === 'tsx' ? 'tsx' : 'ts'}`),
      text: [...(prelude === '' ? [] : [prelude]), ...body, 'export {};', ''].join('\n'),
      preludeLines,
      failing,
    });
  }
  return blocks;
}

/** Whether a JSDoc's declaration is exported: itself or its top-level statement, by a modifier or by `export { name }`. */
function isExported(node: ts.Node): boolean {
  let top = node;
  while (!ts.isSourceFile(top.parent)) {
    if (ts.canHaveModifiers(top) && ts.getModifiers(top)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) return true;
    top = top.parent;
  }
  if (ts.canHaveModifiers(top) && ts.getModifiers(top)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) return true;
  const names = ts.isVariableStatement(top)
    ? top.declarationList.declarations.map((d) => d.name.getText())
    : [(top as ts.NamedDeclaration).name?.getText()];
  return top.parent.statements.some(
    (s) =>
      (ts.isExportDeclaration(s) && s.moduleSpecifier === undefined && s.exportClause !== undefined && ts.isNamedExports(s.exportClause) &&
        s.exportClause.elements.some((e) => names.includes((e.propertyName ?? e.name).getText()))) ||
      (ts.isExportAssignment(s) && names.includes(s.expression.getText())),
  );
}

/**
 * The `@example`s of the exported symbols' JSDoc in one source file, as TypeScript shows them: the
 * lines after the tag (its own line is a title) up to the next tag, either the fenced ```ts/```tsx
 * (or language-less) blocks among them, or, with no fence, all of them. A line
 * `// doctest: <TypeScript>` is that TypeScript (`// doctest: declare const url: string`),
 * `// doctest: skip` leaves the example out; `compile error` is as in a README.
 */
function extractExamples(path: string, code: string): Block[] {
  const source = ts.createSourceFile(path, code, ts.ScriptTarget.Latest, true, path.endsWith('.tsx') ? ts.ScriptKind.TSX : ts.ScriptKind.TS);
  const lines = code.split('\n');
  const docs = new Set<ts.JSDoc>();
  const visit = (node: ts.Node): void => {
    for (const doc of ts.getJSDocCommentsAndTags(node)) if (ts.isJSDoc(doc) && isExported(doc.parent)) docs.add(doc);
    ts.forEachChild(node, visit);
  };
  visit(source);
  const blocks: Block[] = [];
  const add = (line: number, lang: string, body: string[]): void => {
    const failing = new Set<number>();
    let skip = false;
    const text = body.map((raw, n) => {
      if (/\/\/.*\bcompile error\b/.test(raw)) failing.add(n);
      const directive = /^\s*\/\/\s*doctest:(.*)$/.exec(raw);
      if (directive?.[1]?.trim() === 'skip') skip = true;
      return directive === null ? raw : (directive[1] ?? '');
    });
    if (skip) return;
    const tsx = lang === 'tsx' || path.endsWith('.tsx');
    blocks.push({ source: path, line, file: join(ROOT, `${path}.${line}.${tsx ? 'tsx' : 'ts'}`), text: [...text, 'export {};', ''].join('\n'), preludeLines: 0, failing });
  };
  for (const doc of docs) {
    const first = source.getLineAndCharacterOfPosition(doc.getStart(source)).line;
    const last = source.getLineAndCharacterOfPosition(doc.end).line;
    // The comment's lines without their ` * ` (0-based line numbers of the file).
    const text = (n: number): string => (lines[n] ?? '').replace(/^\s*(\/\*\*|\*(?!\/))? ?/, '').replace(/\s*\*\/\s*$/, '');
    for (let n = first; n <= last; n++) {
      if (!/^@example\b/.test(text(n))) continue;
      let end = n + 1;
      let fence: string | undefined; // the open fence's marker: a line starting with @ inside it is code
      for (; end <= last && (fence !== undefined || !/^@\w/.test(text(end))); end++) {
        const marker = /^\s*(`{3,}|~{3,})/.exec(text(end))?.[1];
        if (marker !== undefined) fence = fence === undefined ? marker : marker.startsWith(fence) ? undefined : fence;
      }
      const body = Array.from({ length: end - n - 1 }, (_, i) => text(n + 1 + i));
      while (body.length > 0 && (body.at(-1) ?? '').trim() === '') body.pop();
      if (body.some((l) => /^\s*(`{3,}|~{3,})/.test(l))) {
        for (let i = 0; i < body.length; i++) {
          const open = /^\s*(`{3,}|~{3,})\s*([\w-]*)/.exec(body[i] ?? '');
          if (open === null) continue;
          let close = i + 1;
          while (close < body.length && !(body[close] ?? '').trimStart().startsWith(open[1] ?? '```')) close++;
          if (['', 'ts', 'tsx', 'typescript'].includes(open[2] ?? '')) add(n + 2 + i, open[2] ?? '', body.slice(i + 1, close));
          i = close;
        }
      } else {
        add(n + 1, 'ts', body);
      }
      n = end - 1;
    }
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
    if (source === undefined) throw new Error(`${block.source}:${block.line}: not in the program`);
    const failed = new Set<number>();
    for (const d of [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)]) {
      const { readmeLine, fileLine } = locate(block, d);
      if (block.failing.has(fileLine)) failed.add(fileLine);
      else problems.push(`${block.source}:${readmeLine} (block at line ${block.line}): TS${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n  ')}`);
    }
    for (const fileLine of block.failing) {
      if (!failed.has(fileLine)) problems.push(`${block.source}:${block.line + 1 + fileLine - block.preludeLines} (block at line ${block.line}): says "compile error" but compiles`);
    }
  }
  return problems;
}

const readmes = [join(ROOT, 'README.md'), ...packageDirs.map((dir) => join(dir, 'README.md')).filter((path) => existsSync(path))];
const blocks = readmes.flatMap((path) => extractBlocks(relative(ROOT, path), readFileSync(path, 'utf8')));
const sources = packageDirs
  .flatMap((dir) => readdirSync(join(dir, 'src'), { recursive: true, encoding: 'utf8' }).map((name) => join(dir, 'src', name)))
  .filter((path) => /\.tsx?$/.test(path) && !/\.(test|d)\.tsx?$/.test(path))
  .sort();
const examples = sources.flatMap((path) => extractExamples(relative(ROOT, path), readFileSync(path, 'utf8')));

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

/** A source file of mistaken `@example`s (in the client's src folder), to check that each is reported at its line. */
const SELF_TEST_SOURCE = [
  '/**',
  ' * Says hello.',
  ' *',
  ' * @example',
  ' * // doctest: declare const url: string',
  " * import { connect } from '@herald/client';",
  ' * const client = await connect(url);',
  " * await client.publsh('a.b', 1);",
  " * await client.publish('a.b', 1); // compile error (it is not)",
  ' * @example Fenced, and left out',
  ' * ```ts',
  ' * // doctest: skip',
  ' * anything at all',
  ' * ```',
  ' * @example Fenced TSX, with prose and a shell block',
  ' * Render it:',
  ' * ```tsx',
  ' * const element = <p>{render()}</p>;',
  ' * ```',
  ' * ```sh',
  ' * herald pub a.b 1',
  ' * ```',
  ' * @param name who',
  ' */',
  'export function hello(name: string): void {}',
  '',
  '/**',
  ' * Not exported: not checked.',
  ' * @example',
  ' * nonsense(',
  ' */',
  'function hidden(): void {}',
  '',
  '/**',
  ' * Exported by name.',
  ' * @example',
  ' * const n: number = "one";',
  ' */',
  'const named = 1;',
  'export { named };',
].join('\n');
const selfTestExamples = extractExamples('packages/client/src/mistakes.ts', SELF_TEST_SOURCE);

let checked: string[] | undefined;
/** Every block and example, READMEs' and JSDoc's, and the self-tests, checked in one program (once). */
function problems(): string[] {
  for (const dir of packageDirs) {
    if (!existsSync(join(dir, 'dist', 'index.d.ts'))) throw new Error(`${relative(ROOT, dir)}/dist is missing: run pnpm build first`);
  }
  checked ??= typeCheck([...blocks, ...selfTest, ...examples, ...selfTestExamples]);
  return checked;
}

const ofSelfTest = (problem: string): boolean => /^packages\/client\/(MISTAKES\.md|src\/mistakes\.ts):/.test(problem);
const ofExample = (problem: string): boolean => examples.some((e) => problem.startsWith(`${e.source}:`));

/** The self-test's problems as [path:line, TS code or "says"]. */
const reported = (path: string): (string | undefined)[][] =>
  problems()
    .filter((p) => p.startsWith(path))
    .map((p) => /^(\S+) \(block at line \d+\): (TS\d+|says)/.exec(p)?.slice(1) ?? [p]);

it('finds the examples of every README', () => {
  expect(new Set(blocks.map((b) => b.source))).toEqual(
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
  expect(problems().filter((p) => !ofSelfTest(p) && !ofExample(p)).join('\n')).toBe('');
  expect(reported('packages/client/MISTAKES.md')).toEqual([
    ['packages/client/MISTAKES.md:5', 'TS2551'], // publsh: did you mean publish?
    ['packages/client/MISTAKES.md:6', 'says'], // "compile error" but compiles
    ['packages/client/MISTAKES.md:11', 'TS2322'], // name: a number
    ['packages/client/MISTAKES.md:21', 'TS2304'], // render: not declared
  ]);
});

it('finds the @examples of the exported symbols in every package', () => {
  // No example is missed unnoticed: every source file that says @example has one found (or skipped).
  const saying = sources.filter((path) => /^\s*\*\s*@example\b/m.test(readFileSync(path, 'utf8'))).map((path) => relative(ROOT, path));
  const skipping = sources.filter((path) => readFileSync(path, 'utf8').includes('// doctest: skip')).map((path) => relative(ROOT, path));
  expect(new Set([...examples.map((e) => e.source), ...skipping])).toEqual(new Set(saying));
  expect(examples.length).toBeGreaterThanOrEqual(12);
  expect(selfTestExamples.map((e) => [e.line, e.file.slice(ROOT.length)])).toEqual([
    [4, 'packages/client/src/mistakes.ts.4.ts'],
    [17, 'packages/client/src/mistakes.ts.17.tsx'],
    [36, 'packages/client/src/mistakes.ts.36.ts'],
  ]);
});

it("every JSDoc @example type-checks (and a mistake is reported at its source line)", () => {
  expect(problems().filter(ofExample).join('\n')).toBe('');
  expect(reported('packages/client/src/mistakes.ts')).toEqual([
    ['packages/client/src/mistakes.ts:8', 'TS2551'], // publsh: did you mean publish?
    ['packages/client/src/mistakes.ts:9', 'says'], // "compile error" but compiles
    ['packages/client/src/mistakes.ts:18', 'TS2304'], // render: not declared
    ['packages/client/src/mistakes.ts:37', 'TS2322'], // a string is not a number
  ]);
});
