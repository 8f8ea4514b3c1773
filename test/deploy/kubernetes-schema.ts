import path from 'node:path';
import { CronJob } from 'kubernetes-models/batch/v1/CronJob';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { Secret } from 'kubernetes-models/v1/Secret';
import ts from 'typescript';
import { ROOT } from './manifests.js';

/*
 * Offline schema checks for the manifests, as kubeconform -strict would do them (kubeconform is
 * not installable here: it downloads its schemas). kubernetes-models carries Kubernetes' OpenAPI
 * schemas (1.33) compiled to validators: types, enums, required fields, formats. Those schemas
 * allow unknown fields, which the API server drops (or refuses), so a misspelt key would pass:
 * the same manifests are also type-checked against kubernetes-models' TypeScript interfaces, where
 * every unknown key is an excess-property error.
 */

interface Model {
  validate(): void;
}

/** The kinds deploy/kubernetes uses: their validating model and their TypeScript interface. */
const KINDS: Record<string, { apiVersion: string; model: new (data: never) => Model; module: string; type: string }> = {
  CronJob: { apiVersion: 'batch/v1', model: CronJob, module: 'kubernetes-models/batch/v1/CronJob', type: 'ICronJob' },
  ConfigMap: { apiVersion: 'v1', model: ConfigMap, module: 'kubernetes-models/v1/ConfigMap', type: 'IConfigMap' },
  PersistentVolumeClaim: { apiVersion: 'v1', model: PersistentVolumeClaim, module: 'kubernetes-models/v1/PersistentVolumeClaim', type: 'IPersistentVolumeClaim' },
  Secret: { apiVersion: 'v1', model: Secret, module: 'kubernetes-models/v1/Secret', type: 'ISecret' },
};

/** The kinds validateManifest knows. */
export const KNOWN_KINDS = Object.keys(KINDS);

/** Null when `doc` is valid for its kind's OpenAPI schema, else the validator's message. */
export function schemaProblem(doc: Record<string, unknown>): string | null {
  const kind = KINDS[String(doc.kind)];
  if (kind === undefined) return `unknown kind ${String(doc.kind)}`;
  if (doc.apiVersion !== kind.apiVersion) return `${String(doc.kind)} is ${kind.apiVersion}, not ${String(doc.apiVersion)}`;
  try {
    new kind.model(doc as never).validate();
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

/**
 * The TypeScript errors of `docs` assigned, as object literals, to their kinds' interfaces: an
 * unknown key anywhere is "Object literal may only specify known properties".
 */
export function typeProblems(docs: Record<string, unknown>[]): string[] {
  const lines = docs.map((doc, i) => {
    const kind = KINDS[String(doc.kind)];
    if (kind === undefined) throw new Error(`unknown kind ${String(doc.kind)}`);
    return `import type { ${kind.type} as T${i} } from '${kind.module}';\nexport const manifest${i}: T${i} = ${JSON.stringify(doc, null, 1)};`;
  });
  const fileName = path.join(ROOT, 'test', 'deploy', '__manifests__.ts');
  const source = lines.join('\n');
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  const readFile = host.readFile.bind(host);
  host.getSourceFile = (name, language, ...rest) => (name === fileName ? ts.createSourceFile(name, source, language) : getSourceFile(name, language, ...rest));
  host.fileExists = (name) => name === fileName || fileExists(name);
  host.readFile = (name) => (name === fileName ? source : readFile(name));
  const program = ts.createProgram([fileName], options, host);
  return ts.getPreEmitDiagnostics(program).map((diagnostic) => ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
}
