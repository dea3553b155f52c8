import { beforeAll, describe, expect, it } from 'vitest';
import { minimalCluster, REPO } from '../../../test/helpers.ts';
import { registry } from '../../components/index.ts';
import { loadCluster } from '../../config/load.ts';
import { resolveCluster, type ResolvedCluster } from '../../config/validate.ts';
import { renderTree, type RenderedTree } from '../../core/render.ts';
import type { K8sObject } from '../../core/types.ts';
import type { Finding, Subject } from '../finding.ts';
import { deployment, goodContainer, obj } from './fixtures.ts';
import { checkRules } from './index.ts';

const subjectsOf = (tree: RenderedTree): Subject[] => tree.objects.map(({ file, object }) => ({ file, document: 1, object }));
const brief = (findings: Finding[]) => findings.map((f) => `${f.severity} ${f.rule} ${f.object} ${f.path}: ${f.message}`);

let resolved: ResolvedCluster;
let tree: RenderedTree;
beforeAll(async () => {
  resolved = await loadCluster(REPO, undefined, registry);
  tree = renderTree(resolved, registry);
});

describe('the default render', () => {
  it('has no errors, with the config and as a plain directory of manifests', () => {
    for (const options of [{ cluster: resolved.config }, {}]) {
      const findings = checkRules(subjectsOf(tree), options);
      expect(brief(findings.filter((f) => f.severity === 'error'))).toEqual([]);
    }
  });

  it('warns only that the PostgreSQL server has no backups (the seed config configures no bucket)', () => {
    const findings = checkRules(subjectsOf(tree), { cluster: resolved.config });
    expect(brief(findings.filter((f) => f.severity === 'warning'))).toEqual([
      'warning policy/postgres-backup Cluster/databases/main /spec/backup: PostgreSQL Cluster "main" declares no backups: no spec.backup, no WAL-archiver plugin and no ScheduledBackup',
    ]);
    expect(findings.find((f) => f.rule === 'policy/postgres-backup')!.hint).toContain('components["cloudnative-pg"].backup');
  });

  it('is checked for real: the rules see its apps, Stages and secret references', () => {
    const objects = tree.objects.map((o) => o.object);
    const kinds = new Set(objects.map((o) => o.kind));
    for (const kind of ['Deployment', 'Ingress', 'ScaledObject', 'Stage', 'PromotionTask', 'ClusterSecret', 'ExternalSecret', 'Topic', 'Database', 'ValkeyCluster'])
      expect(kinds, kind).toContain(kind);
    // Removing the Topic the worker scales on, the ClusterSecret copying the database credentials and the
    // authorized-stage annotation must each surface as an error.
    const broken = structuredClone(tree.objects).filter((o) => !(o.object.kind === 'Topic' || (o.object.kind === 'ClusterSecret' && o.object.metadata.name === 'pg-mswa')));
    for (const o of broken) if (o.object.kind === 'Application') delete o.object.metadata.annotations?.['kargo.akuity.io/authorized-stage'];
    const errors = checkRules(broken.map(({ file, object }) => ({ file, document: 1, object })), { cluster: resolved.config }).filter((f) => f.severity === 'error');
    const rules = new Set(errors.map((f) => f.rule));
    for (const rule of ['ref/scaledobject-topic', 'ref/app-topic', 'ref/secret', 'ref/kargo-stage-app']) expect(rules, rule).toContain(rule);
  });

  it('the test cluster with backups enabled has no warnings either', () => {
    const config = minimalCluster();
    config.components['cloudnative-pg'] = { backup: { destinationPath: 's3://backups/test' } };
    config.components['barman-cloud'] = {};
    const minimal = resolveCluster(config, registry);
    const findings = checkRules(subjectsOf(renderTree(minimal, registry)), { cluster: minimal.config });
    expect(brief(findings.filter((f) => f.severity !== 'info'))).toEqual([]);
  });
});

describe('scale', () => {
  it('checks 10,000 objects in linear time, in a deterministic order', () => {
    const objects: K8sObject[] = [];
    for (let i = 0; i < 2000; i++) {
      const ns = `ns-${i % 50}`;
      objects.push(
        deployment(`app-${i}`, ns, {
          replicas: 2,
          containers: [goodContainer(`app-${i}`, { env: [{ name: 'P', valueFrom: { secretKeyRef: { name: `s-${i}`, key: 'password' } } }] })],
        }),
        obj('policy/v1', 'PodDisruptionBudget', `app-${i}`, ns, { spec: { maxUnavailable: 1, selector: { matchLabels: { app: `app-${i}` } } } }),
        obj('secretgenerator.mittwald.de/v1alpha1', 'StringSecret', `s-${i}`, ns, { spec: { fields: [{ fieldName: 'password' }] } }),
        obj('external-secrets.io/v1', 'ExternalSecret', `e-${i}`, ns, { spec: { secretStoreRef: { kind: 'ClusterSecretStore', name: 'store' }, data: [] } }),
        obj('networking.k8s.io/v1', 'Ingress', `app-${i}`, ns, {
          spec: { tls: [{ hosts: [`app-${i}.example.org`], secretName: `app-${i}-tls` }], rules: [{ host: `app-${i}.example.org` }] },
        }, { 'cert-manager.io/cluster-issuer': 'le' }),
      );
    }
    objects.push(obj('external-secrets.io/v1', 'ClusterSecretStore', 'store', undefined, { spec: {} }), obj('cert-manager.io/v1', 'ClusterIssuer', 'le', undefined, { spec: {} }));
    const subjects = objects.map((object, i) => ({ file: `f${i}.yaml`, document: 1, object }));
    const started = performance.now();
    const findings = checkRules(subjects);
    const elapsed = performance.now() - started;
    // One not-checked note per Ingress host (no external-dns here) and nothing else.
    expect(findings.filter((f) => f.severity !== 'info')).toEqual([]);
    expect(findings).toHaveLength(2000);
    // Quadratic lookups would take minutes here; linear ones take well under a second, shared CPUs included.
    expect(elapsed).toBeLessThan(5000);
    expect(checkRules([...subjects].reverse())).toEqual(findings);
  });
});
