import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

/** The Kubernetes manifests in deploy/kubernetes/, parsed, and the container parts of the CronJob. */

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const KUBERNETES_DIR = path.join(ROOT, 'deploy', 'kubernetes');

export interface Manifest {
  file: string;
  doc: Record<string, unknown>;
}

/** Every document of every .yaml file, parsed strictly (a duplicate key or a YAML error throws). */
export function readManifests(): Manifest[] {
  const manifests: Manifest[] = [];
  for (const file of readdirSync(KUBERNETES_DIR)
    .filter((name) => name.endsWith('.yaml'))
    .sort()) {
    for (const document of parseAllDocuments(readFileSync(path.join(KUBERNETES_DIR, file), 'utf8'), { uniqueKeys: true, prettyErrors: true })) {
      if (document.errors.length > 0) throw new Error(`${file}: ${document.errors.map((error) => error.message).join('; ')}`);
      manifests.push({ file, doc: document.toJS() as Record<string, unknown> });
    }
  }
  return manifests;
}

/** The one manifest of `kind`. */
export function manifestOf(kind: string): Manifest {
  const found = readManifests().filter((manifest) => manifest.doc.kind === kind);
  if (found.length !== 1) throw new Error(`expected one ${kind} in deploy/kubernetes, found ${found.length}`);
  return found[0] as Manifest;
}

export interface CronJobContainer {
  name: string;
  command: string[];
  args: string[];
  env: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[];
  volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[];
}

/** The CronJob's spec, its pod spec and its one container, typed as far as the tests read them. */
export function cronJobParts(): {
  spec: Record<string, unknown>;
  job: Record<string, unknown>;
  pod: Record<string, unknown>;
  container: CronJobContainer;
} {
  const spec = manifestOf('CronJob').doc.spec as Record<string, unknown>;
  const job = (spec.jobTemplate as { spec: Record<string, unknown> }).spec;
  const pod = (job.template as { spec: Record<string, unknown> }).spec;
  const containers = pod.containers as CronJobContainer[];
  if (containers.length !== 1) throw new Error('the CronJob has one container');
  return { spec, job, pod, container: containers[0] as CronJobContainer };
}
