import { z } from 'zod';
import { quantity, requestsWithinLimits } from '../../config/schema.ts';
import { defineComponent, type HealthCheck } from '../../core/types.ts';
import { kedaAlerts, kedaTargets } from './alerts.ts';

const resources = z
  .strictObject({
    requests: z.strictObject({ cpu: quantity.default('50m'), memory: quantity.default('100Mi') }).prefault({}),
    limits: z.strictObject({ cpu: quantity.default('500m'), memory: quantity.default('512Mi') }).prefault({}),
  })
  .prefault({})
  .superRefine(requestsWithinLimits('limit', 'Kubernetes refuses a pod whose request is above its limit'));

const options = z.strictObject({
  /**
   * Requests and limits of each KEDA pod (operator, metrics server, webhooks). The chart asks for a CPU and
   * 1000Mi of limit each; a handful of scalers needs far less.
   */
  resources,
  /** The admission webhooks reject a ScaledObject that conflicts with an HPA or another ScaledObject before it does harm. */
  webhooks: z.boolean().default(true),
});

/** Deployment names the chart derives from its default `operator.name` (keda-operator). */
export const KEDA_DEPLOYMENTS = {
  operator: 'keda-operator',
  metricsServer: 'keda-operator-metrics-apiserver',
  webhooks: 'keda-admission-webhooks',
} as const;

export const EXTERNAL_METRICS_API = 'v1beta1.external.metrics.k8s.io';

export const keda = defineComponent({
  id: 'keda',
  description: 'KEDA: scales workloads on events, such as the video workers on their queue lag',
  namespace: 'keda',
  needs: [],
  options,
  chart: ({ options }) => {
    const podResources = () => ({ requests: { ...options.resources.requests }, limits: { ...options.resources.limits } });
    return {
      repoURL: 'https://kedacore.github.io/charts',
      chart: 'keda',
      version: '2.20.2',
      releaseName: 'keda',
      values: {
        crds: { install: true },
        resources: { operator: podResources(), metricServer: podResources(), webhooks: podResources() },
        webhooks: { enabled: options.webhooks },
      },
    };
  },
  health: ({ namespace, options }) => {
    const checks: HealthCheck[] = [
      { description: 'operator: turns ScaledObjects into HPAs', apiVersion: 'apps/v1', kind: 'Deployment', name: KEDA_DEPLOYMENTS.operator, namespace },
      {
        description: 'metrics server: serves scaler metrics to the HPAs',
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        name: KEDA_DEPLOYMENTS.metricsServer,
        namespace,
      },
      {
        description: 'external metrics API, served by the metrics server',
        apiVersion: 'apiregistration.k8s.io/v1',
        kind: 'APIService',
        name: EXTERNAL_METRICS_API,
      },
    ];
    if (options.webhooks) {
      checks.push({
        description: 'admission webhooks: validate ScaledObjects',
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        name: KEDA_DEPLOYMENTS.webhooks,
        namespace,
      });
    }
    return checks;
  },
  alerts: kedaAlerts,
  scrapeTargets: kedaTargets,
});
