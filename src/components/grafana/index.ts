import { z } from 'zod';
import { hostname } from '../../config/schema.ts';
import { DEFAULT_INGRESS_CLASS, externalSecret, publicIngressAnnotations } from '../../core/conventions.ts';
import { defineComponent, type K8sObject } from '../../core/types.ts';

/** OpenStack Magnum installs its monitoring stack as Helm release `magnum` in kube-system. */
export const MAGNUM_GRAFANA_URL = 'http://magnum-grafana.kube-system.svc';
export const MAGNUM_PROMETHEUS_URL = 'http://magnum-prometheus-operator-prometheus.kube-system.svc:9090';

export const GRAFANA_NAME = 'grafana';
/** The label every grafana-operator resource here selects its Grafana instance by. */
export const INSTANCE_LABEL = { 'plinth.dev/grafana-instance': GRAFANA_NAME } as const;
export const DISCORD_WEBHOOK_INPUT = 'grafana-discord-webhook';
export const API_TOKEN_INPUT = 'grafana-api-token';
export const CONTACT_POINT = 'discord';
export const FOLDER = 'plinth-alerts';

const GRAFANA_API = 'grafana.integreatly.org/v1beta1';
const uid = z
  .string()
  .regex(/^[a-zA-Z0-9_-]{1,40}$/, { error: 'must be a Grafana uid: at most 40 letters, digits, "-" or "_"' });
const percent = (fallback: number) => z.int().min(1).max(99).default(fallback);
const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });

const options = z.strictObject({
  /** false: manage the Grafana that Magnum already runs; true: the operator deploys its own Grafana. */
  install: z.boolean().default(false),
  /** The existing Grafana, as the operator reaches it (install: false); defaults to Magnum's in-cluster Service. */
  url: httpUrl.optional(),
  /** Public host of the Grafana the operator deploys (install: true); defaults to grafana.<domain>. */
  host: hostname.optional(),
  /** Prometheus the deployed Grafana queries (install: true); defaults to Magnum's Prometheus. */
  prometheusUrl: httpUrl.optional(),
  /** uid of the Prometheus datasource the rules query; kube-prometheus-stack provisions "prometheus". */
  datasourceUid: uid.default('prometheus'),
  /** Title of the Grafana folder holding the rules. */
  folder: z.string().min(1).max(100).default('Cluster alerts'),
  thresholds: z
    .strictObject({
      /** Filesystem use on a node, in percent; the seed's team lost every node to full root volumes once. */
      diskPercent: percent(85),
      memoryPercent: percent(90),
      cpuPercent: percent(90),
      /** cert-manager renews 30 days ahead, so a certificate this close to expiry means renewal is failing. */
      certificateDays: z.int().min(1).max(60).default(14),
    })
    .prefault({}),
});

type Options = z.output<typeof options>;

interface RuleInput {
  uid: string;
  title: string;
  expr: string;
  op: 'gt' | 'lt';
  threshold: number;
  for: string;
  severity: 'warning' | 'critical';
  /** Node metrics should always exist: their absence is itself worth a notification. */
  noData: 'NoData' | 'OK';
  summary: string;
  description: string;
}

/** A Grafana-managed rule: instant PromQL query A, alerting on each series where threshold B holds. */
export function alertRule(datasourceUid: string, rule: RuleInput) {
  return {
    uid: rule.uid,
    title: rule.title,
    condition: 'B',
    data: [
      {
        refId: 'A',
        datasourceUid,
        relativeTimeRange: { from: 600, to: 0 },
        model: {
          refId: 'A',
          datasource: { type: 'prometheus', uid: datasourceUid },
          expr: rule.expr,
          instant: true,
          range: false,
          intervalMs: 60000,
          maxDataPoints: 43200,
        },
      },
      {
        refId: 'B',
        datasourceUid: '__expr__',
        model: {
          refId: 'B',
          datasource: { type: '__expr__', uid: '__expr__' },
          type: 'threshold',
          expression: 'A',
          conditions: [{ evaluator: { type: rule.op, params: [rule.threshold] } }],
        },
      },
    ],
    for: rule.for,
    noDataState: rule.noData,
    // A wrong datasource uid or a broken query then notifies too, instead of silently never firing.
    execErrState: 'Error',
    labels: { severity: rule.severity },
    annotations: { summary: rule.summary, description: rule.description },
  };
}

const REAL_FILESYSTEMS = 'fstype!~"tmpfs|overlay|squashfs|ramfs|iso9660|nsfs|fuse.*"';

export function ruleGroups(options: Options) {
  const t = options.thresholds;
  const rule = (input: RuleInput) => alertRule(options.datasourceUid, input);
  return [
    {
      name: 'nodes',
      title: 'Nodes',
      rules: [
        rule({
          uid: 'plinth-node-disk',
          title: 'Node filesystem almost full',
          expr: `100 * (1 - node_filesystem_avail_bytes{${REAL_FILESYSTEMS}} / node_filesystem_size_bytes{${REAL_FILESYSTEMS}})`,
          op: 'gt',
          threshold: t.diskPercent,
          for: '10m',
          severity: 'critical',
          noData: 'NoData',
          summary: `A node filesystem is more than ${t.diskPercent}% full`,
          description: '{{ $labels.mountpoint }} on {{ $labels.instance }} is {{ humanize $values.A.Value }}% full; eraser should be cleaning images, check it and large images.',
        }),
        rule({
          uid: 'plinth-node-memory',
          title: 'Node memory high',
          expr: '100 * (1 - node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes)',
          op: 'gt',
          threshold: t.memoryPercent,
          for: '10m',
          severity: 'warning',
          noData: 'NoData',
          summary: `A node uses more than ${t.memoryPercent}% of its memory`,
          description: '{{ $labels.instance }} uses {{ humanize $values.A.Value }}% of its memory.',
        }),
        rule({
          uid: 'plinth-node-cpu',
          title: 'Node CPU high',
          expr: '100 * (1 - avg by (instance) (rate(node_cpu_seconds_total{mode="idle"}[5m])))',
          op: 'gt',
          threshold: t.cpuPercent,
          for: '15m',
          severity: 'warning',
          noData: 'NoData',
          summary: `A node's CPU has been busier than ${t.cpuPercent}% for 15 minutes`,
          description: '{{ $labels.instance }} CPU is {{ humanize $values.A.Value }}% busy.',
        }),
      ],
    },
    {
      name: 'workloads',
      title: 'Workloads',
      rules: [
        rule({
          uid: 'plinth-pod-crashloop',
          title: 'Pod crash looping',
          expr: 'max by (namespace, pod, container) (kube_pod_container_status_waiting_reason{reason="CrashLoopBackOff"})',
          op: 'gt',
          threshold: 0,
          for: '10m',
          severity: 'warning',
          noData: 'OK',
          summary: 'A container keeps crashing',
          description: '{{ $labels.namespace }}/{{ $labels.pod }} container {{ $labels.container }} is in CrashLoopBackOff; see kubectl logs --previous.',
        }),
      ],
    },
    {
      name: 'platform',
      title: 'Platform',
      rules: [
        rule({
          uid: 'plinth-certificate-expiry',
          title: 'Certificate about to expire',
          expr: '(certmanager_certificate_expiration_timestamp_seconds - time()) / 86400',
          op: 'lt',
          threshold: t.certificateDays,
          for: '1h',
          severity: 'critical',
          noData: 'OK',
          summary: `A certificate expires in less than ${t.certificateDays} days`,
          description: 'Certificate {{ $labels.namespace }}/{{ $labels.name }} expires in {{ humanize $values.A.Value }} days; cert-manager is failing to renew it (check the Order and Challenge, then the Designate webhook).',
        }),
        rule({
          uid: 'plinth-database-down',
          title: 'PostgreSQL instance down',
          expr: 'min by (namespace, pod) (cnpg_collector_up)',
          op: 'lt',
          threshold: 1,
          for: '5m',
          severity: 'critical',
          noData: 'OK',
          summary: 'A CloudNativePG instance cannot reach its PostgreSQL',
          description: 'cnpg_collector_up is 0 for {{ $labels.namespace }}/{{ $labels.pod }}; see kubectl cnpg status and the instance logs.',
        }),
      ],
    },
  ];
}

const instanceSelector = { matchLabels: { ...INSTANCE_LABEL } };

function grafanaInstance(ctx: { namespace: string; host: string; options: Options }): K8sObject {
  const { namespace, host, options } = ctx;
  const metadata = { name: GRAFANA_NAME, namespace, labels: { ...INSTANCE_LABEL } };
  if (!options.install) {
    return {
      apiVersion: GRAFANA_API,
      kind: 'Grafana',
      metadata,
      spec: {
        external: { url: options.url ?? MAGNUM_GRAFANA_URL, apiKey: { name: API_TOKEN_INPUT, key: 'token' } },
      },
    };
  }
  return {
    apiVersion: GRAFANA_API,
    kind: 'Grafana',
    metadata,
    spec: {
      config: {
        server: { root_url: `https://${host}` },
        security: { cookie_secure: 'true' },
        users: { allow_sign_up: 'false' },
        log: { mode: 'console' },
      },
      ingress: {
        metadata: { annotations: publicIngressAnnotations(host) },
        spec: {
          ingressClassName: DEFAULT_INGRESS_CLASS,
          rules: [
            {
              host,
              http: {
                paths: [
                  {
                    path: '/',
                    pathType: 'Prefix',
                    // The operator serves Grafana `<name>` through Service `<name>-service`, port 3000.
                    backend: { service: { name: `${GRAFANA_NAME}-service`, port: { number: 3000 } } },
                  },
                ],
              },
            },
          ],
          tls: [{ hosts: [host], secretName: `${GRAFANA_NAME}-tls` }],
        },
      },
    },
  };
}

export const grafana = defineComponent({
  id: 'grafana',
  description: 'Grafana alerting as code (grafana-operator): node, workload, certificate and database rules sent to Discord',
  namespace: 'grafana',
  needs: (options) => (options.install ? ['external-secrets', 'traefik'] : ['external-secrets']),
  options,
  chart: () => ({
    repoURL: 'oci://ghcr.io/grafana/helm-charts',
    chart: 'grafana-operator',
    version: '5.24.0',
    releaseName: 'grafana-operator',
    values: {},
  }),
  resources: ({ cluster, namespace, options }) => {
    const host = options.host ?? `grafana.${cluster.domain}`;
    const objects: K8sObject[] = [
      grafanaInstance({ namespace, host, options }),
      externalSecret({
        name: DISCORD_WEBHOOK_INPUT,
        namespace,
        keys: [{ secretKey: 'url', input: DISCORD_WEBHOOK_INPUT, key: 'url' }],
      }),
    ];
    if (!options.install) {
      objects.push(
        externalSecret({ name: API_TOKEN_INPUT, namespace, keys: [{ secretKey: 'token', input: API_TOKEN_INPUT, key: 'token' }] }),
      );
    } else {
      objects.push({
        apiVersion: GRAFANA_API,
        kind: 'GrafanaDatasource',
        metadata: { name: 'prometheus', namespace },
        spec: {
          instanceSelector,
          uid: options.datasourceUid,
          datasource: {
            name: 'Prometheus',
            type: 'prometheus',
            access: 'proxy',
            url: options.prometheusUrl ?? MAGNUM_PROMETHEUS_URL,
            isDefault: true,
          },
        },
      });
    }
    objects.push(
      {
        apiVersion: GRAFANA_API,
        kind: 'GrafanaFolder',
        metadata: { name: FOLDER, namespace },
        spec: { instanceSelector, uid: FOLDER, title: options.folder },
      },
      {
        apiVersion: GRAFANA_API,
        kind: 'GrafanaContactPoint',
        metadata: { name: CONTACT_POINT, namespace },
        spec: {
          instanceSelector,
          name: CONTACT_POINT,
          receivers: [
            {
              type: 'discord',
              settings: {},
              valuesFrom: [{ targetPath: 'url', valueFrom: { secretKeyRef: { name: DISCORD_WEBHOOK_INPUT, key: 'url' } } }],
            },
          ],
        },
      },
      {
        apiVersion: GRAFANA_API,
        kind: 'GrafanaNotificationPolicy',
        metadata: { name: 'discord', namespace },
        spec: {
          instanceSelector,
          route: {
            receiver: CONTACT_POINT,
            group_by: ['grafana_folder', 'alertname'],
            group_wait: '30s',
            group_interval: '5m',
            repeat_interval: '4h',
          },
        },
      },
      ...ruleGroups(options).map((group) => ({
        apiVersion: GRAFANA_API,
        kind: 'GrafanaAlertRuleGroup',
        metadata: { name: group.name, namespace },
        spec: { instanceSelector, folderRef: FOLDER, name: group.title, interval: '1m', rules: group.rules },
      })),
    );
    return objects;
  },
  secrets: ({ options }) => [
    {
      name: DISCORD_WEBHOOK_INPUT,
      keys: [{ key: 'url', description: 'Discord webhook URL, https://discord.com/api/webhooks/<id>/<token>' }],
      purpose: 'where Grafana sends alert notifications',
      howToGet: 'Discord: channel settings > Integrations > Webhooks > New Webhook > Copy Webhook URL',
    },
    ...(options.install
      ? []
      : [
          {
            name: API_TOKEN_INPUT,
            keys: [{ key: 'token', description: 'Grafana service account token with the Admin role' }],
            purpose: 'lets grafana-operator manage folders, alert rules, contact points and the notification policy of the existing Grafana',
            howToGet:
              'Grafana: Administration > Users and access > Service accounts > Add service account (role Admin) > Add service account token',
          },
        ]),
  ],
  health: ({ namespace, options }) => [
    { description: 'operator', apiVersion: 'apps/v1', kind: 'Deployment', name: 'grafana-operator', namespace },
    ...(options.install
      ? [{ description: 'Grafana deployed by the operator', apiVersion: 'apps/v1', kind: 'Deployment', name: `${GRAFANA_NAME}-deployment`, namespace }]
      : []),
    { description: 'Grafana instance reachable by the operator', apiVersion: GRAFANA_API, kind: 'Grafana', name: GRAFANA_NAME, namespace },
    {
      description: 'Discord webhook delivered',
      apiVersion: 'external-secrets.io/v1',
      kind: 'ExternalSecret',
      name: DISCORD_WEBHOOK_INPUT,
      namespace,
      blame: 'external-secrets',
    },
    { description: 'Discord contact point', apiVersion: GRAFANA_API, kind: 'GrafanaContactPoint', name: CONTACT_POINT, namespace },
    { description: 'notification policy', apiVersion: GRAFANA_API, kind: 'GrafanaNotificationPolicy', name: 'discord', namespace },
  ],
});
