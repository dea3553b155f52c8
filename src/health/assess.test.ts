import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadAll } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import type { K8sObject } from '../core/types.ts';
import { assess, hasAssessor } from './assess.ts';
import { HEALTH, statusOf, worst, worstStatus } from './status.ts';

const FIXTURES = join(import.meta.dirname, 'fixtures');
const NOW = new Date('2026-06-01T00:00:00Z');
const EXPECT = 'fixture.plinth.dev/expect';
const MESSAGE = 'fixture.plinth.dev/message';

const fixtures = readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.yaml'))
  .flatMap((file) => (loadAll(readFileSync(join(FIXTURES, file), 'utf8')) as K8sObject[]).map((object, i) => ({ file, i, object })));

describe('assessors, from fixtures of real status shapes', () => {
  it.each(fixtures.map((f) => [`${f.file}#${f.i} ${f.object.kind}/${f.object.metadata.name} -> ${f.object.metadata.annotations?.[EXPECT]}`, f] as const))(
    '%s',
    (_, { object }) => {
      const annotations = object.metadata.annotations ?? {};
      // The companion Secret, for kinds whose health is the existence of the Secret they make.
      const lookup = (_v: string, kind: string) => (kind === 'Secret' && annotations['fixture.plinth.dev/with-secret'] ? object : undefined);
      const result = assess(object, { now: NOW, lookup });
      expect(result.health).toBe(annotations[EXPECT]);
      if (annotations[MESSAGE]) expect(result.message).toContain(annotations[MESSAGE]);
    },
  );

  it('covers every kind Plinth renders or checks with at least a healthy and a failing state', () => {
    const byKind = new Map<string, Set<string>>();
    for (const { object } of fixtures) {
      const key = `${object.apiVersion.split('/')[0]}/${object.kind}`;
      byKind.set(key, new Set([...(byKind.get(key) ?? []), object.metadata.annotations![EXPECT]!]));
      expect(hasAssessor(object.apiVersion, object.kind), key).toBe(true);
    }
    const required = [
      'apps/Deployment', 'apps/StatefulSet', 'apps/DaemonSet', 'batch/Job', 'v1/PersistentVolumeClaim', 'v1/Service', 'v1/Node',
      'networking.k8s.io/Ingress', 'apiregistration.k8s.io/APIService', 'argoproj.io/Application', 'cert-manager.io/Certificate',
      'cert-manager.io/CertificateRequest', 'cert-manager.io/ClusterIssuer', 'acme.cert-manager.io/Order', 'acme.cert-manager.io/Challenge',
      'postgresql.cnpg.io/Cluster', 'postgresql.cnpg.io/Database', 'external-secrets.io/ExternalSecret', 'external-secrets.io/ClusterSecretStore',
      'external-secrets.io/SecretStore', 'keda.sh/ScaledObject', 'kargo.akuity.io/Warehouse', 'kargo.akuity.io/Stage', 'kargo.akuity.io/Promotion',
      'cluster.redpanda.com/Redpanda', 'cluster.redpanda.com/Topic', 'secretgenerator.mittwald.de/StringSecret', 'clustersecret.io/ClusterSecret',
      'eraser.sh/ImageJob', 'eraser.sh/ImageList', 'grafana.integreatly.org/Grafana',
    ];
    for (const key of required) {
      const states = byKind.get(key) ?? new Set();
      expect(states.has('Healthy'), `${key} has a Healthy fixture`).toBe(true);
      expect([...states].some((s) => s !== 'Healthy'), `${key} has a failing fixture`).toBe(true);
    }
  });

  it('treats an object being deleted as progressing, and an unknown kind by its Ready condition', () => {
    const base = { apiVersion: 'example.org/v1', kind: 'Widget', metadata: { name: 'w' } };
    expect(assess({ ...base, metadata: { name: 'w', deletionTimestamp: '2026-01-01T00:00:00Z' } }).health).toBe('Progressing');
    expect(assess({ ...base, status: { conditions: [{ type: 'Ready', status: 'False', message: 'broken' }] } })).toEqual({ health: 'Degraded', message: 'broken' });
    expect(assess(base).health).toBe('Healthy');
  });
});

describe('roll-up', () => {
  it('is the worst health, in the order of the vocabulary', () => {
    expect(worst([])).toBe('Healthy');
    expect(worst(['Healthy', 'Progressing', 'Suspended'])).toBe('Progressing');
    expect(worst(['Missing', 'Unknown'])).toBe('Missing');
    expect(worst(['Degraded', 'Missing', 'Healthy'])).toBe('Degraded');
    for (let i = 1; i < HEALTH.length; i++) expect(worst([HEALTH[i - 1]!, HEALTH[i]!])).toBe(HEALTH[i]);
  });

  it('maps health to a check status, and rolls statuses up', () => {
    expect(HEALTH.map(statusOf)).toEqual(['pass', 'warn', 'warn', 'warn', 'fail', 'fail']);
    expect(worstStatus([])).toBe('skip');
    expect(worstStatus(['skip', 'pass'])).toBe('pass');
    expect(worstStatus(['pass', 'fail', 'warn'])).toBe('fail');
  });
});
