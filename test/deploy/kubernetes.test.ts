import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { EXIT } from '../../src/errors.js';
import { tempDir } from '../helpers/cli.js';
import { KNOWN_KINDS, schemaProblem, typeProblems } from './kubernetes-schema.js';
import { cronJobParts, KUBERNETES_DIR, manifestOf, readManifests, ROOT } from './manifests.js';

/*
 * deploy/kubernetes: every manifest valid for Kubernetes' schema (offline: kubernetes-schema.ts),
 * and the CronJob saying what the README promises: 02:00 New York, one at a time, the exit codes
 * that must not be retried, the Secret's two values, the config from the ConfigMap.
 */

const CONTAINER_CONFIG = path.join(ROOT, 'deploy', 'container', 'batch_config.json');

describe('the Kubernetes manifests', () => {
  const manifests = readManifests().filter((manifest) => manifest.doc.kind !== 'Kustomization');

  it('are each valid for their kind in the Kubernetes OpenAPI schema', () => {
    expect(manifests.map((manifest) => manifest.doc.kind).sort()).toEqual(['ConfigMap', 'CronJob', 'PersistentVolumeClaim', 'Secret']);
    for (const manifest of manifests) expect([manifest.file, schemaProblem(manifest.doc)]).toEqual([manifest.file, null]);
  });

  it('carry no field Kubernetes does not know (a misspelt key fails the type check)', () => {
    expect(typeProblems(manifests.map((manifest) => manifest.doc))).toEqual([]);
  }, 30_000);

  it('the checks catch a misspelt key, a wrong enum and a missing required field', () => {
    const cronJob = structuredClone(manifestOf('CronJob').doc);
    const spec = cronJob.spec as Record<string, unknown>;
    spec.concurencyPolicy = spec.concurrencyPolicy;
    expect(typeProblems([cronJob]).join('\n')).toMatch(/'"concurencyPolicy"' does not exist in type 'ICronJobSpec'/);
    expect(schemaProblem({ ...cronJob, spec: { ...spec, concurrencyPolicy: 'Never' } })).toMatch(/concurrencyPolicy must be equal to one of the allowed values/);
    expect(schemaProblem({ ...cronJob, spec: { ...spec, schedule: undefined } })).toMatch(/data\/spec must have required property schedule/);
    expect(KNOWN_KINDS).toContain('CronJob');
  }, 30_000);

  it('kustomization.yaml applies every manifest but the example Secret', () => {
    const kustomization = manifestOf('Kustomization').doc as { resources: string[] };
    const files = readdirSync(KUBERNETES_DIR).filter((name) => name.endsWith('.yaml') && name !== 'kustomization.yaml' && name !== 'secret.example.yaml');
    expect([...kustomization.resources].sort()).toEqual(files.sort());
  });
});

describe('the CronJob', () => {
  const { spec, job, pod, container } = cronJobParts();

  it('runs at 02:00 New York time, one at a time, skipping a start missed by over an hour', () => {
    expect(spec).toMatchObject({ schedule: '0 2 * * *', timeZone: 'America/New_York', concurrencyPolicy: 'Forbid', startingDeadlineSeconds: 3600 });
  });

  it('fails the Job without a retry on the exit codes a retry cannot fix, 75 and 2 among them', () => {
    expect(pod.restartPolicy).toBe('Never');
    const rules = (job.podFailurePolicy as { rules: { action: string; onExitCodes?: { containerName: string; operator: string; values: number[] }; onPodConditions?: { type: string }[] }[] }).rules;
    expect(rules.find((rule) => rule.onPodConditions !== undefined)).toEqual({ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] });
    const failJob = rules.filter((rule) => rule.action === 'FailJob');
    expect(failJob).toEqual([{ action: 'FailJob', onExitCodes: { containerName: container.name, operator: 'In', values: [EXIT.USAGE, EXIT.ABORTED, EXIT.INTERNAL, EXIT.LOCKED] } }]);
    // Kubernetes wants the values sorted; 1 (below the success rate) and the signals stay retried.
    const values = failJob[0]?.onExitCodes?.values ?? [];
    expect(values).toEqual([...values].sort((a, b) => a - b));
    for (const retried of [EXIT.FAILED, EXIT.SIGINT, EXIT.SIGTERM]) expect(values).not.toContain(retried);
    expect(job.backoffLimit).toBe(1);
  });

  it('runs as a non-root user with requests and limits, a read-only root and /tmp and /data writable', () => {
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
    expect(container).toMatchObject({
      resources: { requests: { cpu: expect.any(String) as string, memory: expect.any(String) as string }, limits: { cpu: expect.any(String) as string, memory: expect.any(String) as string } },
      securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
    });
    expect(container.volumeMounts.map((mount) => mount.mountPath).sort()).toEqual(['/data', '/etc/batch-refresh', '/tmp']);
  });

  it('takes the User-Agent and the database URL from the Secret, and nothing secret from a literal', () => {
    const fromSecret = Object.fromEntries(container.env.filter((variable) => variable.valueFrom !== undefined).map((variable) => [variable.name, variable.valueFrom?.secretKeyRef]));
    expect(fromSecret).toEqual({ SEC_USER_AGENT: { name: 'batch-refresh', key: 'sec-user-agent' }, DATABASE_URL: { name: 'batch-refresh', key: 'database-url' } });
    const secret = manifestOf('Secret').doc as { metadata: { name: string }; stringData: Record<string, string> };
    expect(secret.metadata.name).toBe('batch-refresh');
    expect(Object.keys(secret.stringData).sort()).toEqual(['database-url', 'sec-user-agent']);
    expect(container.env.filter((variable) => variable.value !== undefined).map((variable) => variable.name)).toEqual(['NO_COLOR']);
  });

  it("reads its config from the ConfigMap's file, the image's default config without database.path, which loads with DATABASE_URL without a warning", () => {
    const configMount = container.volumeMounts.find((mount) => mount.mountPath === '/etc/batch-refresh');
    const volume = (pod.volumes as { name: string; configMap?: { name: string } }[]).find((candidate) => candidate.name === configMount?.name);
    const configMap = manifestOf('ConfigMap').doc as { metadata: { name: string }; data: Record<string, string> };
    expect(volume?.configMap?.name).toBe(configMap.metadata.name);
    expect(container.args.slice(0, 2)).toEqual(['--config', '/etc/batch-refresh/batch_config.json']);
    const fromConfigMap = JSON.parse(configMap.data['batch_config.json'] ?? '') as { description: string; database: Record<string, unknown> };
    const imageDefault = JSON.parse(readFileSync(CONTAINER_CONFIG, 'utf8')) as { description: string; database: Record<string, unknown> };
    const { path: sqliteFile, ...imageDatabase } = imageDefault.database;
    expect(sqliteFile).toBe('/data/stocks.db');
    expect({ ...fromConfigMap, description: '' }).toEqual({ ...imageDefault, description: '', database: imageDatabase });
    // The image's default: SQLite on the volume, every file under /data.
    const loaded = loadConfig(CONTAINER_CONFIG, { SEC_USER_AGENT: 'Jane Doe jane@example.com' }, { strict: true });
    expect(loaded).toMatchObject({ ok: true, warnings: [] });
    if (!loaded.ok) return;
    for (const file of [loaded.config.database.path, loaded.config.database.backup_directory, loaded.config.logging.log_directory, loaded.config.reporting.summary_directory])
      expect(file).toMatch(/^\/data\//);
    // The ConfigMap's, as the pod has it: PostgreSQL from the Secret's DATABASE_URL.
    const dir = tempDir('configmap-');
    const file = path.join(dir, 'batch_config.json');
    writeFileSync(file, configMap.data['batch_config.json'] ?? '');
    const env = { SEC_USER_AGENT: 'Jane Doe jane@example.com', DATABASE_URL: 'postgres://batch_refresh:secret@db.example.internal:5432/stocks' };
    const inPod = loadConfig(file, env, { strict: true });
    expect(inPod).toMatchObject({ ok: true, warnings: [] });
    if (inPod.ok) expect(inPod.config.database.url).toBe(env.DATABASE_URL);
    // The image's default with DATABASE_URL is a mistake named, not guessed (README: mount a config without database.path).
    expect(loadConfig(CONTAINER_CONFIG, env, { strict: true })).toMatchObject({ ok: false });
  });
});
