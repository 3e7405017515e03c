// The code's shape is part of what a newcomer relies on: stages in the order the data flows,
// each importing only earlier ones, small files, small functions, one way into the database.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { stripTypeScriptTypes } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'acorn';
import { full } from 'acorn-walk';
import { describe, expect, it } from 'vitest';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'src');
const STAGES = ['oai', 'formats', 'identifiers', 'crossref', 'config', 'store', 'dedupe', 'stats', 'sinks', 'audit', 'pipeline', 'cli'];
const MAX_FILE_LINES = 400;
const MAX_FUNCTION_LINES = 80;
const MAX_POSITIONAL_PARAMETERS = 5;
const SQL = /\b(SELECT\s+[\w*]|INSERT\s+(OR\s+\w+\s+)?INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|CREATE\s+(TABLE|INDEX|UNIQUE)|PRAGMA\s+\w)/;

interface SourceFile { path: string; text: string; lines: number }

function sourceFiles(dir = SRC): SourceFile[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    if (!name.endsWith('.ts')) return [];
    const text = readFileSync(path, 'utf8');
    return [{ path: relative(SRC, path).split(sep).join('/'), text, lines: text.split('\n').length - (text.endsWith('\n') ? 1 : 0) }];
  });
}

function stageOf(path: string): string | undefined {
  return path.includes('/') ? path.slice(0, path.indexOf('/')) : undefined;
}

function relativeImports(file: SourceFile): string[] {
  const found = [...file.text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'";]*?from\s+'(\.[^']+)'|import\(\s*'(\.[^']+)'\s*\)|new URL\(\s*'(\.[^']+\.ts)'/g)];
  return found.map((match) => {
    const target = match[1] ?? match[2] ?? match[3] ?? '';
    return relative(SRC, resolve(SRC, dirname(file.path), target)).split(sep).join('/');
  });
}

interface FunctionShape { name: string; line: number; lines: number; positional: number }

function functionsOf(file: SourceFile): FunctionShape[] {
  const js = stripTypeScriptTypes(file.text, { mode: 'strip' });
  const ast = parse(js, { ecmaVersion: 'latest', sourceType: 'module', locations: true });
  const shapes: FunctionShape[] = [];
  full(ast, (node) => {
    if (node.type !== 'FunctionDeclaration' && node.type !== 'FunctionExpression' && node.type !== 'ArrowFunctionExpression') return;
    const positional = node.params.filter((param) => param.type !== 'RestElement').length;
    const name = node.type === 'ArrowFunctionExpression' ? '(arrow)' : (node.id?.name ?? '(anonymous)');
    shapes.push({ name, line: node.loc!.start.line, lines: node.loc!.end.line - node.loc!.start.line + 1, positional });
  });
  return shapes;
}

const files = sourceFiles();

describe('the code layout', () => {
  it('keeps every stage importing only itself and earlier stages', () => {
    const backwards = files.flatMap((file) => {
      const from = stageOf(file.path);
      if (from === undefined) return [];
      return relativeImports(file)
        .filter((target) => {
          const to = stageOf(target);
          return to !== undefined && STAGES.indexOf(to) > STAGES.indexOf(from);
        })
        .map((target) => `${file.path} imports ${target}`);
    });
    expect(files.every((file) => stageOf(file.path) === undefined || STAGES.includes(stageOf(file.path)!))).toBe(true);
    expect(backwards).toEqual([]);
  });

  it('exports the library from the stages, never from the command line', () => {
    const index = files.find((file) => file.path === 'index.ts')!;
    expect(relativeImports(index).length).toBeGreaterThan(5);
    expect(relativeImports(index).filter((target) => target.startsWith('cli/'))).toEqual([]);
  });

  it('exports every error class the library defines', async () => {
    const library = await import('../src/index.ts');
    const defined = files.filter((file) => stageOf(file.path) !== 'cli')
      .flatMap((file) => [...file.text.matchAll(/^export class (\w+Error) extends/gm)].map((m) => m[1]!));
    expect(defined.length).toBeGreaterThan(20);
    expect(defined.filter((name) => !(name in library))).toEqual([]);
  });

  it('keeps the command line thin: at most 8 files and 900 lines', () => {
    const cli = files.filter((file) => stageOf(file.path) === 'cli');
    expect(cli.length).toBeLessThanOrEqual(8);
    expect(cli.reduce((sum, file) => sum + file.lines, 0)).toBeLessThanOrEqual(900);
  });

  it(`keeps every file within ${MAX_FILE_LINES} lines`, () => {
    expect(files.filter((file) => file.lines > MAX_FILE_LINES).map((file) => `${file.path}: ${file.lines}`)).toEqual([]);
  });

  it(`keeps every function within ${MAX_FUNCTION_LINES} lines and ${MAX_POSITIONAL_PARAMETERS} positional parameters`, () => {
    const tooBig = files.flatMap((file) =>
      functionsOf(file)
        .filter((shape) => shape.lines > MAX_FUNCTION_LINES || shape.positional > MAX_POSITIONAL_PARAMETERS)
        .map((shape) => `${file.path}:${shape.line} ${shape.name}: ${shape.lines} lines, ${shape.positional} parameters`),
    );
    expect(tooBig).toEqual([]);
  });

  it('writes SQL only inside the store', () => {
    const outside = files.filter((file) => stageOf(file.path) !== 'store' && SQL.test(file.text)).map((file) => file.path);
    expect(files.some((file) => stageOf(file.path) === 'store' && SQL.test(file.text))).toBe(true);
    expect(outside).toEqual([]);
  });

  it('runs code on import only in the bin file', () => {
    const main = files.find((file) => file.path === 'cli/main.ts')!;
    expect(main.text).not.toMatch(/^(await\s+)?main\(/m);
    expect(files.find((file) => file.path === 'cli/bin.ts')?.text).toMatch(/main\(/);
  });
});
