import { describe, expect, it } from 'vitest';
import type { RenderedTree } from '../../core/render.ts';
import { registry } from '../index.ts';
import { assess } from '../../health/assess.ts';
import { declarations, renderProblems } from '../../secrets/declarations.ts';
import { clusterWith, rejectionOf, renderWith } from '../../../test/components.ts';
import { chartFacts, customResourceProblems } from '../../../test/upstream.ts';

const base = { 'argo-cd': {}, 'external-secrets': {} };
const render = (options: Record<string, unknown> = { bucket: 'cluster-logs' }) => renderWith(registry, { ...base, logging: options });
const owned = (tree: RenderedTree) => tree.objects.filter((o) => o.owner === 'logging').map((o) => o.object as Record<string, any>);
const find = (tree: RenderedTree, kind: string) => owned(tree).find((o) => o.kind === kind)!;

describe('logging', () => {
  it('installs the pinned logging-operator chart from its OCI registry', async () => {
    const fact = (await chartFacts()).find((f) => f.component === 'logging-operator')!;
    const app = render().objects.find((o) => o.object.kind === 'Application' && o.object.metadata.name === 'logging')!.object as Record<string, any>;
    expect(`oci://${app.spec.sources[0].repoURL}`).toBe(fact.chartRepo);
    expect(app.spec.sources[0]).toMatchObject({ chart: fact.chart, targetRevision: fact.version, helm: { releaseName: 'logging-operator' } });
  });

  it('ships every container\'s logs to an S3-compatible bucket, with custom resources the pinned CRDs accept', async () => {
    const tree = render({ bucket: 'cluster-logs', endpoint: 'https://swift.example.org:8080', excludeNamespaces: ['kube-system'] });
    expect(find(tree, 'Logging')).toMatchObject({ metadata: { name: 'plinth' }, spec: { controlNamespace: 'logging', fluentd: {} } });
    expect(find(tree, 'ClusterOutput').spec.s3).toEqual({
      s3_bucket: 'cluster-logs',
      s3_region: 'us-east-1',
      s3_endpoint: 'https://swift.example.org:8080',
      force_path_style: 'true',
      path: 'logs/${tag}/%Y/%m/%d/',
      aws_key_id: { valueFrom: { secretKeyRef: { name: 'logging-s3', key: 'accessKeyId' } } },
      aws_sec_key: { valueFrom: { secretKeyRef: { name: 'logging-s3', key: 'secretAccessKey' } } },
      buffer: { timekey: '1h', timekey_wait: '10m', timekey_use_utc: true },
    });
    expect(find(tree, 'ClusterFlow').spec).toEqual({ match: [{ exclude: { namespaces: ['kube-system'] } }, { select: {} }], globalOutputRefs: ['s3'] });
    expect(await customResourceProblems(tree.objects.filter((o) => o.owner === 'logging'))).toEqual([]);
  }, 60_000);

  it('optionally ships to Loki in the cluster as well, with Kubernetes labels, and doctor checks that output too', async () => {
    const tree = render({ bucket: 'cluster-logs', loki: { url: 'http://loki-gateway.loki.svc', tenant: 'platform' } });
    const outputs = tree.objects.filter((o) => o.object.kind === 'ClusterOutput').map((o) => o.object);
    expect(outputs.map((o) => o.metadata.name).sort()).toEqual(['loki', 's3']);
    expect(outputs.find((o) => o.metadata.name === 'loki')!.spec).toEqual({ loki: { url: 'http://loki-gateway.loki.svc', configure_kubernetes_labels: true, tenant: 'platform' } });
    expect(find(tree, 'ClusterFlow').spec.globalOutputRefs).toEqual(['s3', 'loki']);
    expect(tree.components.find((c) => c.id === 'logging')!.health.filter((h) => h.kind === 'ClusterOutput').map((h) => h.name)).toEqual(['s3', 'loki']);
    expect(await customResourceProblems(tree.objects.filter((o) => o.owner === 'logging'))).toEqual([]);
    expect(rejectionOf(clusterWith({ 'external-secrets': {}, logging: { bucket: 'cluster-logs', loki: { url: 'loki-gateway:3100' } } }), registry).map((i) => i.path)).toEqual([
      'components.logging.loki.url',
    ]);
  }, 60_000);

  it('with a Prometheus to scrape it, has the operator make fluentd\'s ServiceMonitor, which its alert reads and doctor checks', async () => {
    const tree = renderWith(registry, { ...base, 'secret-generator': {}, logging: { bucket: 'cluster-logs' }, grafana: {} });
    expect(find(tree, 'Logging').spec.fluentd).toEqual({ metrics: { enabled: true, serviceMonitor: true, serviceMonitorConfig: { additionalLabels: { release: 'magnum' } } } });
    const logging = tree.components.find((c) => c.id === 'logging')!;
    expect(logging.alerts.map((a) => a.uid)).toEqual(['plinth-logging-output-errors']);
    const monitor = logging.health.find((h) => h.kind === 'ServiceMonitor')!;
    expect(monitor).toMatchObject({ name: 'plinth-fluentd-metrics', namespace: 'logging' });
    expect(monitor.hint).toContain('the rules plinth-logging-output-errors never fire: logging-operator creates it from Logging/plinth');
    expect(await customResourceProblems(tree.objects.filter((o) => o.owner === 'logging'))).toEqual([]);
    // Without one, fluentd exports nothing and the Logging stays as it was.
    expect(find(render(), 'Logging').spec.fluentd).toEqual({});
  }, 60_000);

  it('the CRD check catches a wrong output field (it can fail)', async () => {
    const tree = render();
    const output = structuredClone(tree.objects.find((o) => o.object.kind === 'ClusterOutput')!);
    (output.object.spec as any).s3.s3_bukket = 'x';
    expect((await customResourceProblems([output])).join()).toContain('must NOT have additional properties');
  }, 60_000);

  it('declares the bucket keys as a secret input, read by one ExternalSecret, and health checks named as the operator names things', () => {
    const tree = render();
    const input = declarations(tree).find((d) => d.name === 'logging-s3')!;
    expect(input.keys.map((k) => k.key)).toEqual(['accessKeyId', 'secretAccessKey']);
    expect(input.consumers).toEqual([{ ref: 'ExternalSecret/logging/logging-s3', keys: ['accessKeyId', 'secretAccessKey'] }]);
    expect(renderProblems(tree)).toEqual([]);
    expect(tree.components.find((c) => c.id === 'logging')!.health.map((h) => `${h.kind}/${h.name}`)).toEqual([
      'Deployment/logging-operator',
      'StatefulSet/plinth-fluentd',
      'DaemonSet/plinth-fluentbit',
      'ClusterOutput/s3',
      'ExternalSecret/logging-s3',
    ]);
  });

  it('doctor reads an output\'s problems as Degraded', () => {
    const output = { apiVersion: 'logging.banzaicloud.io/v1beta1', kind: 'ClusterOutput', metadata: { name: 's3', namespace: 'logging' } };
    expect(assess({ ...output, status: { active: true } })).toEqual({ health: 'Healthy', message: 'active' });
    expect(assess({ ...output, status: { problems: ['secret "logging-s3" not found'], problemsCount: 1 } })).toEqual({ health: 'Degraded', message: 'secret "logging-s3" not found' });
  });

  it('refuses a bucket that is not a bucket name, and runs only with external-secrets', () => {
    expect(rejectionOf(clusterWith({ ...base, logging: { bucket: 'Logs_Bucket' } }), registry)).toEqual([
      { path: 'components.logging.bucket', message: '"Logs_Bucket" must be an S3 bucket name such as "cluster-logs"' },
    ]);
    expect(rejectionOf(clusterWith({ 'argo-cd': {}, logging: { bucket: 'cluster-logs' } }), registry).map((i) => i.message)).toEqual([
      '"logging" needs "external-secrets", which is not enabled',
    ]);
  });
});
