import type { K8sObject } from '../../core/types.ts';
import type { Finding } from '../finding.ts';
import type { ClusterConfig } from '../../config/schema.ts';
import { checkRules } from './index.ts';

/** Small objects for the rule tests: each test states only what it is about. */
export function obj(
  apiVersion: string, kind: string, name: string, namespace?: string,
  body: Record<string, unknown> = {}, annotations?: Record<string, string>, labels?: Record<string, string>,
): K8sObject {
  return {
    apiVersion, kind,
    metadata: { name, ...(namespace && { namespace }), ...(annotations && { annotations }), ...(labels && { labels }) },
    ...body,
  };
}

/** A container every policy accepts. */
export function goodContainer(name = 'app', extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name,
    image: 'ghcr.io/example/app:1.2.3',
    resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '1', memory: '256Mi' } },
    livenessProbe: { httpGet: { path: '/healthz', port: 8080 } },
    readinessProbe: { httpGet: { path: '/healthz', port: 8080 } },
    securityContext: { runAsNonRoot: true, readOnlyRootFilesystem: true },
    ...extra,
  };
}

/** A Deployment every policy accepts (one replica, so no PodDisruptionBudget is needed). */
export function deployment(
  name: string, namespace: string,
  options: { replicas?: number; containers?: Record<string, unknown>[]; pod?: Record<string, unknown>; annotations?: Record<string, string>; labels?: Record<string, string> } = {},
): K8sObject {
  return obj('apps/v1', 'Deployment', name, namespace, {
    spec: {
      replicas: options.replicas ?? 1,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: options.containers ?? [goodContainer(name)], ...options.pod },
      },
    },
  }, options.annotations, options.labels);
}

export const run = (objects: K8sObject[], cluster?: ClusterConfig): Finding[] =>
  checkRules(objects.map((object, i) => ({ file: `f${String(i).padStart(3, '0')}.yaml`, document: 1, object })), cluster ? { cluster } : {});

export const only = (findings: Finding[], rule: string): Finding[] => findings.filter((f) => f.rule === rule);
export const ofRules = (findings: Finding[], prefix: string): Finding[] => findings.filter((f) => f.rule.startsWith(prefix));
