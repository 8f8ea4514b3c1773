import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';

/*
 * No import cycles in the product (what `madge --circular` checks, type imports included): a module
 * graph without cycles loads in one order and can be read from the bottom up. Found with the
 * TypeScript parser, so comments and strings cannot fool it.
 */

const SRC = path.join(ROOT, 'src');

/** Each module of src/ and the modules of src/ it imports at run time (static and dynamic imports). */
function importGraph(): Map<string, string[]> {
  const files = readdirSync(SRC, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => path.join(entry.parentPath, entry.name));
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
    const targets: string[] = [];
    const add = (specifier: string): void => {
      if (!specifier.startsWith('.')) return;
      targets.push(path.relative(SRC, path.resolve(path.dirname(file), specifier.replace(/\.js$/, '.ts'))));
    };
    const visit = (node: ts.Node): void => {
      if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) add(node.moduleSpecifier.text);
      if (ts.isExportDeclaration(node) && node.moduleSpecifier !== undefined && ts.isStringLiteral(node.moduleSpecifier)) add(node.moduleSpecifier.text);
      if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0] !== undefined && ts.isStringLiteral(node.arguments[0])) add(node.arguments[0].text);
      ts.forEachChild(node, visit);
    };
    visit(source);
    graph.set(path.relative(SRC, file), targets);
  }
  return graph;
}

/** The cycles of the graph: its strongly connected components of more than one module, or a module importing itself (Tarjan). */
function findCycles(graph: Map<string, string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const connect = (node: string): void => {
    index.set(node, counter);
    low.set(node, counter);
    counter += 1;
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!graph.has(next)) continue;
      if (!index.has(next)) {
        connect(next);
        low.set(node, Math.min(low.get(node) as number, low.get(next) as number));
      } else if (onStack.has(next)) low.set(node, Math.min(low.get(node) as number, index.get(next) as number));
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop() as string;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    if (component.length > 1 || (graph.get(node) ?? []).includes(node)) cycles.push(component.sort());
  };
  for (const node of graph.keys()) if (!index.has(node)) connect(node);
  return cycles;
}

describe('the module graph of src/', () => {
  it('has no import cycles', () => {
    expect(findCycles(importGraph())).toEqual([]);
  });

  it('the check finds a cycle, and reads the real imports', () => {
    const graph = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts']],
      ['c.ts', ['a.ts']],
      ['d.ts', ['d.ts']],
      ['e.ts', []],
    ]);
    expect(findCycles(graph)).toEqual([['a.ts', 'b.ts', 'c.ts'], ['d.ts']]);
    // The real graph is read: the CLI's run command imports the config loader (a value) and the report (a type).
    const real = importGraph();
    expect(real.get(path.join('cli', 'run-command.ts'))).toContain(path.join('config', 'load-config.ts'));
    expect(real.get(path.join('cli', 'run-command.ts'))).toContain(path.join('report', 'summary-report.ts'));
  });
});
