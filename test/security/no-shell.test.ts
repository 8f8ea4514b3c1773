import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';

/*
 * No shell is ever started with data from a source or a config value: the only child_process
 * functions used are execFile and spawn, with the program and its arguments as an array, and no
 * `shell` option. Checked on the source with the TypeScript compiler, so `exec`, `execSync`,
 * `shell: true`, a command line in one string or a shell as the program all fail this test.
 */

const ALLOWED = new Set(['execFile', 'spawn']);
const CHILD_PROCESS = new Set(['child_process', 'node:child_process']);
const SHELLS = new Set(['sh', 'bash', 'dash', 'zsh', 'ksh', 'fish', 'csh', 'tcsh', 'busybox', 'env', 'cmd', 'cmd.exe', 'powershell', 'pwsh']);
const SRC = path.join(ROOT, 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts'))
    .map((entry) => path.join(entry.parentPath, entry.name))
    .sort();
}

interface Analysis {
  /** Every child_process call: `file:line name(program, args…)`. */
  sites: string[];
  problems: string[];
}

/** Type-checks `files` (plus in-memory `virtual` files) and inspects every use of child_process. */
function analyse(files: string[], virtual: Record<string, string> = {}): Analysis {
  const config = ts.parseJsonConfigFileContent(ts.readConfigFile(path.join(ROOT, 'tsconfig.json'), (file) => ts.sys.readFile(file)).config, ts.sys, ROOT);
  const options = { ...config.options, noEmit: true };
  const host = ts.createCompilerHost(options);
  const [getSourceFile, fileExists, readFile] = [host.getSourceFile.bind(host), host.fileExists.bind(host), host.readFile.bind(host)];
  host.getSourceFile = (name, language, ...rest) => (virtual[name] !== undefined ? ts.createSourceFile(name, virtual[name], language, true) : getSourceFile(name, language, ...rest));
  host.fileExists = (name) => virtual[name] !== undefined || fileExists(name);
  host.readFile = (name) => virtual[name] ?? readFile(name);
  const roots = [...files, ...Object.keys(virtual)];
  const program = ts.createProgram({ rootNames: roots, options, host });
  const checker = program.getTypeChecker();
  const sites: string[] = [];
  const problems: string[] = [];

  for (const file of roots) {
    const source = program.getSourceFile(file);
    if (source === undefined) throw new Error(`not compiled: ${file}`);
    const where = (node: ts.Node): string => `${path.relative(ROOT, file)}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1}`;
    // Local name → the child_process function it stands for.
    const imported = new Map<string, string>();

    const visitImports = (node: ts.Node): void => {
      const specifier = ts.isImportDeclaration(node) || ts.isExportDeclaration(node) ? node.moduleSpecifier : undefined;
      if (specifier !== undefined && ts.isStringLiteral(specifier) && CHILD_PROCESS.has(specifier.text)) {
        if (ts.isExportDeclaration(node)) problems.push(`${where(node)}: re-exports child_process`);
        else if (ts.isImportDeclaration(node) && node.importClause !== undefined && node.importClause.phaseModifier !== ts.SyntaxKind.TypeKeyword) {
          const { name, namedBindings } = node.importClause;
          if (name !== undefined) problems.push(`${where(node)}: default import of child_process (every function, exec included)`);
          if (namedBindings !== undefined && ts.isNamespaceImport(namedBindings)) problems.push(`${where(node)}: namespace import of child_process (every function, exec included)`);
          if (namedBindings !== undefined && ts.isNamedImports(namedBindings)) {
            for (const element of namedBindings.elements) {
              if (element.isTypeOnly) continue;
              const original = (element.propertyName ?? element.name).text;
              if (!ALLOWED.has(original)) problems.push(`${where(element)}: imports ${original} from child_process`);
              imported.set(element.name.text, original);
            }
          }
        }
      }
      // require('child_process') and import('node:child_process') get around the checks below.
      if (ts.isCallExpression(node) && (node.expression.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(node.expression) && node.expression.text === 'require'))) {
        const [first] = node.arguments;
        if (first !== undefined && ts.isStringLiteralLike(first) && CHILD_PROCESS.has(first.text)) problems.push(`${where(node)}: loads child_process dynamically`);
      }
      ts.forEachChild(node, visitImports);
    };
    visitImports(source);

    const visitUses = (node: ts.Node): void => {
      if (ts.isStringLiteralLike(node) && SHELLS.has(path.posix.basename(node.text)) && ts.isCallExpression(node.parent)) {
        problems.push(`${where(node)}: passes "${node.text}" (a shell) to a call`);
      }
      if (ts.isIdentifier(node) && imported.has(node.text) && !ts.isImportSpecifier(node.parent)) {
        const name = imported.get(node.text) as string;
        const call = node.parent;
        if (!ts.isCallExpression(call) || call.expression !== node) {
          problems.push(`${where(node)}: ${name} used other than called directly (its arguments cannot be checked)`);
        } else {
          checkCall(call, name);
        }
      }
      ts.forEachChild(node, visitUses);
    };

    const checkCall = (call: ts.CallExpression, name: string): void => {
      const [program_, args, options] = call.arguments;
      sites.push(`${where(call)} ${name}(${call.arguments.map((arg) => arg.getText().slice(0, 40)).join(', ')})`);
      if (program_ === undefined) return void problems.push(`${where(call)}: ${name}() without a program`);
      if (args === undefined || ts.isObjectLiteralExpression(args) || ts.isFunctionLike(args)) {
        return void problems.push(`${where(call)}: ${name} without an argument array (a command line in one string?)`);
      }
      const argsType = checker.getTypeAtLocation(args);
      if (!checker.isArrayType(argsType) && !checker.isTupleType(argsType)) {
        problems.push(`${where(call)}: ${name}'s arguments are ${checker.typeToString(argsType)}, not an array`);
      }
      if (options === undefined || ts.isFunctionLike(options)) return;
      if (!ts.isObjectLiteralExpression(options)) return void problems.push(`${where(call)}: ${name}'s options are not an object literal (a shell option cannot be ruled out)`);
      for (const property of options.properties) {
        if (ts.isSpreadAssignment(property)) problems.push(`${where(property)}: ${name}'s options spread another object (a shell option cannot be ruled out)`);
        else if (property.name.getText().replace(/['"]/g, '') === 'shell') problems.push(`${where(property)}: ${name} with a shell option`);
      }
    };
    visitUses(source);
  }
  return { sites, problems };
}

describe('no shell', () => {
  it('src/ starts programs only with execFile or spawn, arguments as an array, no shell option', () => {
    const files = sourceFiles(SRC);
    const usesChildProcess = files.filter((file) => readFileSync(file, 'utf8').includes('child_process'));
    const { sites, problems } = analyse(usesChildProcess);
    expect(problems).toEqual([]);
    // The checks looked at the real call sites: systemctl for status, the schedule installer's exec.
    expect(sites).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^src\/cli\/status-command\.ts:\d+ execFile\('systemctl', \['--user', \.\.\.args\]/),
        expect.stringMatching(/^src\/schedule\/deps\.ts:\d+ execFile\(file, \[\.\.\.args\]/),
      ]),
    );
  });

  it('has no text that reads like a shell call anywhere in src/ (exec(, execSync, shell: true)', () => {
    const offenders = sourceFiles(SRC).flatMap((file) =>
      readFileSync(file, 'utf8')
        .split('\n')
        .flatMap((line, index) => (/(^|[^.\w])exec(Sync)?\(|execFileSync|spawnSync|\bshell\s*:\s*true/.test(line) ? [`${path.relative(ROOT, file)}:${index + 1}: ${line.trim()}`] : [])),
    );
    expect(offenders).toEqual([]);
  });

  it('the check itself catches exec, execSync, shell: true, a one-string command line and a shell as the program', () => {
    const dir = path.join(SRC, '__no_shell_probe__');
    const bad = {
      [path.join(dir, 'a.ts')]: [
        "import { exec, execSync, execFile, spawn } from 'node:child_process';",
        'export function run(symbol: string, folder: string): void {',
        '  exec(`ls ${folder}`);',
        '  execSync(`touch ${symbol}`);',
        "  spawn('git', ['log'], { shell: true });",
        "  spawn('git log ' + symbol);",
        "  execFile('sh', ['-c', `echo ${symbol}`]);",
        "  execFile('git', 'log ' + symbol);",
        '  const options = { shell: true };',
        "  spawn('git', ['log'], options);",
        '  const later = spawn;',
        "  later('x', []);",
        '}',
      ].join('\n'),
      [path.join(dir, 'b.ts')]: "import * as cp from 'child_process';\nexport const start = (): unknown => cp.spawn('ls', []);\n",
    };
    const { problems } = analyse([], bad);
    const lines = problems.map((problem) => problem.replace(/^src\/__no_shell_probe__\//, ''));
    expect(lines).toEqual(
      expect.arrayContaining([
        'a.ts:1: imports exec from child_process',
        'a.ts:1: imports execSync from child_process',
        'a.ts:5: spawn with a shell option',
        'a.ts:6: spawn without an argument array (a command line in one string?)',
        'a.ts:7: passes "sh" (a shell) to a call',
        "a.ts:8: execFile's arguments are string, not an array",
        "a.ts:10: spawn's options are not an object literal (a shell option cannot be ruled out)",
        'a.ts:11: spawn used other than called directly (its arguments cannot be checked)',
        'b.ts:1: namespace import of child_process (every function, exec included)',
      ]),
    );
  });
});
