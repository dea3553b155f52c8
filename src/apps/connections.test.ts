import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { registry } from '../components/index.ts';
import { resolveCluster } from '../config/validate.ts';
import { renderTree } from '../core/render.ts';
import type { K8sObject } from '../core/types.ts';
import { minimalCluster, UPSTREAM } from '../../test/helpers.ts';

/**
 * Every address Plinth hands an app, derived here from the operator objects it renders by the naming rules the
 * pinned operators apply (read from their source at the pinned tag), so a wrong host fails here, not at runtime.
 */
const config = minimalCluster();
config.components.valkey = { namespace: 'caches' };
const tree = renderTree(resolveCluster(config, registry), registry);
const rendered = (kind: string) => tree.objects.map((o) => o.object).filter((o) => o.kind === kind) as (K8sObject & { spec: any })[];
const envOf = (app: string): Record<string, string> => {
  const deployment = tree.objects.find((o) => o.object.kind === 'Deployment' && o.object.metadata.name === app)!.object as any;
  return Object.fromEntries(deployment.spec.template.spec.containers[0].env.map((e: { name: string; value?: string }) => [e.name, e.value]));
};

describe('the connection facts an app receives', () => {
  it('points Postgres clients at the CloudNativePG read-write Service of the server, on 5432', () => {
    // cloudnative-pg/cloudnative-pg v1.30.0 (chart 0.29.0's appVersion): api/v1/cluster_funcs.go GetServiceReadWriteName
    // = cluster name + ServiceReadWriteSuffix ("-rw", api/v1/cluster_types.go); port: pkg/postgres/configuration.go ServerPort = 5432.
    const [server] = rendered('Cluster').filter((o) => o.apiVersion === 'postgresql.cnpg.io/v1');
    const env = envOf('api');
    expect(env.PGHOST).toBe(`${server!.metadata.name}-rw.${server!.metadata.namespace}.svc`);
    expect(env.PGPORT).toBe('5432');
  });

  it('points Valkey clients at the headless Service valkey-<cache> in the ValkeyCluster namespace, on 6379', () => {
    // valkey-io/valkey-operator v0.4.0: internal/controller/valkeycluster_controller.go headlessServiceName
    // = resourcePrefix + cluster name, resourcePrefix = "valkey-" (internal/controller/utils.go); upsertService
    // creates it in the cluster's namespace with the single port DefaultPort = 6379.
    const [cache] = rendered('ValkeyCluster');
    const env = envOf('web');
    expect(env.VALKEY_HOST).toBe(`valkey-${cache!.metadata.name}.caches.svc.cluster.local`);
    expect(cache!.metadata.namespace).toBe('caches');
    expect(env.VALKEY_PORT).toBe('6379');
  });

  it("points Kafka clients at the Redpanda release's internal Service on the chart's internal Kafka listener", async () => {
    // redpanda-data/redpanda-operator operator/v26.2.2: operator/api/redpanda/v1alpha2/redpanda_types.go
    // GetHelmReleaseName returns the Redpanda resource's name; charts/redpanda/helpers.go ServiceName = Fullname =
    // the release name (no overrides set); charts/redpanda/service_internal.go creates it in the release namespace.
    const [redpanda] = rendered('Redpanda');
    expect(redpanda!.spec.clusterSpec.service, 'a service name override would rename the Service').toBeUndefined();
    expect(redpanda!.spec.clusterSpec.fullnameOverride).toBeUndefined();
    expect(redpanda!.spec.clusterSpec.listeners, 'a listener override would move the port').toBeUndefined();
    const values = parse(await readFile(join(UPSTREAM, 'values', 'redpanda-26.2.2.values.yaml'), 'utf8'));
    const env = envOf('api');
    expect(env.KAFKA_BROKERS).toBe(`${redpanda!.metadata.name}.${redpanda!.metadata.namespace}.svc.cluster.local:${values.listeners.kafka.port}`);
    expect(envOf('worker').KAFKA_BROKERS).toBe(env.KAFKA_BROKERS);
  });
});
