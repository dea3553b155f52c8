import { z } from 'zod';
import { dnsLabel } from '../../config/schema.ts';
import { externalSecret } from '../../core/conventions.ts';
import { defineComponent, type HealthCheck, type K8sObject } from '../../core/types.ts';
import { loggingAlerts, loggingTargets } from './alerts.ts';

/** The secret input with the bucket's S3 keys, and the Secret it becomes in the logging namespace. */
export const LOGS_BUCKET_CREDENTIALS = 'logging-s3';
/** The Logging resource; the operator names fluentd's StatefulSet and fluent-bit's DaemonSet after it. */
export const LOGGING_NAME = 'plinth';
export const LOGS_OUTPUT = 's3';
export const LOKI_OUTPUT = 'loki';
const LOGGING_API = 'logging.banzaicloud.io/v1beta1';

const options = z.strictObject({
  /** The bucket that receives every container's logs (created beforehand; its lifecycle rules keep or expire them). */
  bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { error: 'must be an S3 bucket name such as "cluster-logs"' }),
  /** S3-compatible endpoint, e.g. OpenStack Swift's S3 API; omit for AWS S3. */
  endpoint: z.url({ protocol: /^https?$/, error: 'must be the http(s) URL of the S3 endpoint' }).optional(),
  region: z.string().min(1).default('us-east-1'),
  /** Object key prefix, in fluentd's s3 output format (time placeholders and ${tag}). */
  path: z.string().min(1).default('logs/${tag}/%Y/%m/%d/'),
  /** Namespaces whose containers' logs are not shipped. */
  excludeNamespaces: z.array(dnsLabel).default([]),
  /**
   * An in-cluster destination beside the bucket, to search recent logs: a Loki push endpoint such as
   * "http://loki-gateway.loki.svc". The bucket stays the record; Loki's own retention decides how long it keeps them.
   */
  loki: z
    .strictObject({
      url: z.url({ protocol: /^https?$/, error: 'must be the http(s) URL of Loki (its gateway or distributor), e.g. "http://loki-gateway.loki.svc"' }),
      /** X-Scope-OrgID, for a Loki with multi-tenancy on. */
      tenant: z.string().min(1).optional(),
    })
    .optional(),
});

type Options = z.output<typeof options>;

/**
 * fluentd's s3 output as the ClusterOutput CRD of logging-operator 6.7.0 spells it (spec.s3: s3_bucket, s3_endpoint,
 * s3_region, path, force_path_style as a string, aws_key_id/aws_sec_key from a Secret). Swift and most
 * S3-compatible stores need path-style requests.
 */
function s3Output(namespace: string, options: Options): K8sObject {
  const fromSecret = (key: string) => ({ valueFrom: { secretKeyRef: { name: LOGS_BUCKET_CREDENTIALS, key } } });
  return {
    apiVersion: LOGGING_API,
    kind: 'ClusterOutput',
    metadata: { name: LOGS_OUTPUT, namespace },
    spec: {
      s3: {
        s3_bucket: options.bucket,
        s3_region: options.region,
        ...(options.endpoint && { s3_endpoint: options.endpoint, force_path_style: 'true' }),
        path: options.path,
        aws_key_id: fromSecret('accessKeyId'),
        aws_sec_key: fromSecret('secretAccessKey'),
        // One object per tag and hour, written when the hour closes or the chunk is full.
        buffer: { timekey: '1h', timekey_wait: '10m', timekey_use_utc: true },
      },
    },
  };
}

export const logging = defineComponent({
  id: 'logging',
  description: "logging-operator: every container's logs shipped to an S3-compatible bucket by fluent-bit and fluentd",
  namespace: 'logging',
  needs: ['external-secrets'],
  options,
  chart: () => ({
    repoURL: 'oci://ghcr.io/kube-logging/helm-charts',
    chart: 'logging-operator',
    version: '6.7.0',
    releaseName: 'logging-operator',
    values: {},
  }),
  resources: ({ namespace, options, monitoring }) => [
    // Cluster-scoped: the pipeline's control namespace holds fluentd, the outputs and the cluster flows.
    {
      apiVersion: LOGGING_API,
      kind: 'Logging',
      metadata: { name: LOGGING_NAME },
      spec: {
        controlNamespace: namespace,
        // With a Prometheus to scrape it, the operator makes fluentd's ServiceMonitor (alerts.ts loggingTargets).
        fluentd: monitoring ? { metrics: { enabled: true, serviceMonitor: true, serviceMonitorConfig: { additionalLabels: monitoring.labels } } } : {},
      },
    },
    { apiVersion: LOGGING_API, kind: 'FluentbitAgent', metadata: { name: LOGGING_NAME }, spec: {} },
    s3Output(namespace, options),
    // fluentd's loki output (ClusterOutput spec.loki in the 6.7.0 CRD): Kubernetes metadata as Loki labels.
    ...(options.loki
      ? [
          {
            apiVersion: LOGGING_API,
            kind: 'ClusterOutput',
            metadata: { name: LOKI_OUTPUT, namespace },
            spec: { loki: { url: options.loki.url, configure_kubernetes_labels: true, ...(options.loki.tenant && { tenant: options.loki.tenant }) } },
          },
        ]
      : []),
    {
      apiVersion: LOGGING_API,
      kind: 'ClusterFlow',
      metadata: { name: 'all-containers', namespace },
      spec: {
        match: [...(options.excludeNamespaces.length > 0 ? [{ exclude: { namespaces: options.excludeNamespaces } }] : []), { select: {} }],
        globalOutputRefs: [LOGS_OUTPUT, ...(options.loki ? [LOKI_OUTPUT] : [])],
      },
    },
    externalSecret({
      name: LOGS_BUCKET_CREDENTIALS,
      namespace,
      keys: ['accessKeyId', 'secretAccessKey'].map((key) => ({ secretKey: key, input: LOGS_BUCKET_CREDENTIALS, key })),
    }),
  ],
  secrets: ({ options }) => [
    {
      name: LOGS_BUCKET_CREDENTIALS,
      keys: [
        { key: 'accessKeyId', description: 'S3 access key id allowed to write to the log bucket' },
        { key: 'secretAccessKey', description: 'the matching S3 secret access key' },
      ],
      purpose: `lets fluentd write every container's logs to the bucket ${options.bucket}`,
      howToGet: 'OpenStack: `openstack ec2 credentials create` prints `access` and `secret`; create the bucket with its lifecycle (retention) rules first',
    },
  ],
  alerts: loggingAlerts,
  scrapeTargets: ({ namespace }) => loggingTargets(namespace, LOGGING_NAME),
  health: ({ namespace, options }): HealthCheck[] => [
    // Release "logging-operator" holds the chart's name, so the chart's fullname is the release name (templates/_helpers.tpl).
    { description: 'operator', apiVersion: 'apps/v1', kind: 'Deployment', name: 'logging-operator', namespace },
    // <Logging>-fluentd and <FluentbitAgent>-fluentbit (pkg/resources/fluentd/meta.go, pkg/resources/fluentbit/fluentbit.go at 6.7.0).
    { description: 'fluentd, which writes to the bucket', apiVersion: 'apps/v1', kind: 'StatefulSet', name: `${LOGGING_NAME}-fluentd`, namespace },
    { description: "fluent-bit on every node, reading the containers' logs", apiVersion: 'apps/v1', kind: 'DaemonSet', name: `${LOGGING_NAME}-fluentbit`, namespace },
    { description: 'the bucket output (its status lists the problems fluentd found)', apiVersion: LOGGING_API, kind: 'ClusterOutput', name: LOGS_OUTPUT, namespace },
    ...(options.loki ? [{ description: `the in-cluster output to Loki at ${options.loki.url}`, apiVersion: LOGGING_API, kind: 'ClusterOutput', name: LOKI_OUTPUT, namespace }] : []),
    {
      description: 'bucket credentials delivered',
      apiVersion: 'external-secrets.io/v1',
      kind: 'ExternalSecret',
      name: LOGS_BUCKET_CREDENTIALS,
      namespace,
      blame: 'external-secrets',
    },
  ],
});
