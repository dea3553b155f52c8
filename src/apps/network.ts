import { DATABASES_NAMESPACE } from '../core/conventions.ts';
import type { K8sObject } from '../core/types.ts';
import { POSTGRES_PORT } from '../components/cloudnative-pg/index.ts';
import { KAFKA_PORT } from '../components/redpanda/index.ts';
import { cacheConnection } from '../components/valkey/index.ts';
import { podLabels, SERVICE_PORT, type StageContext } from './context.ts';
import { exposeIngress } from './expose.ts';

export function networkPolicy(ctx: StageContext, labels: Record<string, string>): K8sObject {
  const { cluster, app, namespace, namespaceOf } = ctx;
  const inNamespace = (name: string, pods?: Record<string, string>) => ({
    namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': name } },
    ...(pods && { podSelector: { matchLabels: pods } }),
  });
  const tcp = (port: number) => ({ protocol: 'TCP', port });
  const callers = cluster.apps.filter((other) => other.calls.includes(app.name) && other.stages.includes(ctx.stage));
  const ingress = [
    ...(app.host ? [{ from: [inNamespace(namespaceOf('traefik'))], ports: [tcp(app.port)] }] : []),
    ...(callers.length > 0 ? [{ from: callers.map((c) => ({ podSelector: { matchLabels: podLabels(c.name) } })), ports: [tcp(app.port)] }] : []),
  ];
  const egress: unknown[] = [
    {
      to: [inNamespace('kube-system', { 'k8s-app': 'kube-dns' })],
      ports: [{ protocol: 'UDP', port: 53 }, tcp(53)],
    },
  ];
  if (app.database) {
    const server = cluster.postgres.databases.find((d) => d.name === app.database)!.server;
    egress.push({ to: [inNamespace(DATABASES_NAMESPACE, { 'cnpg.io/cluster': server })], ports: [tcp(POSTGRES_PORT)] });
  }
  if (app.cache) egress.push({ to: [inNamespace(namespaceOf('valkey'))], ports: [tcp(cacheConnection(cluster, app.cache).port)] });
  if (app.topics.produce.length + app.topics.consume.length > 0)
    egress.push({ to: [inNamespace(namespaceOf('redpanda'))], ports: [tcp(KAFKA_PORT)] });
  for (const callee of app.calls) {
    const port = cluster.apps.find((a) => a.name === callee)!.port;
    egress.push({ to: [{ podSelector: { matchLabels: podLabels(callee) } }], ports: [tcp(port)] });
  }
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: app.name, namespace, labels },
    spec: { podSelector: { matchLabels: podLabels(app.name) }, policyTypes: ['Ingress', 'Egress'], ingress, egress },
  };
}

export function ingress(ctx: StageContext, labels: Record<string, string>, host: string): K8sObject {
  return exposeIngress({ service: ctx.app.name, name: ctx.app.name, labels, host, namespace: ctx.namespace, port: SERVICE_PORT });
}

