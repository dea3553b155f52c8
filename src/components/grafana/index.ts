import { z } from 'zod';
import { hostname } from '../../config/schema.ts';
import { DEFAULT_INGRESS_CLASS, defaultClusterIssuer, externalSecret, publicIngressAnnotations } from '../../core/conventions.ts';
import { defineComponent, type K8sObject } from '../../core/types.ts';
import { ConfigError } from '../../errors.ts';
import type { ClusterConfig } from '../../config/schema.ts';
import { formatPath } from '../../config/paths.ts';
import { DATASOURCE_UID, GRAFANA_ADMIN_SECRET, monitoringOf, stackNames } from '../monitoring/index.ts';
import { clusterAlerts, ruleGroups, stackTargets } from './alerts.ts';

/** OpenStack Magnum installs its monitoring stack as Helm release `magnum` in kube-system. */
export const MAGNUM_GRAFANA_URL = 'http://magnum-grafana.kube-system.svc';
export const MAGNUM_PROMETHEUS_URL = 'http://magnum-prometheus-operator-prometheus.kube-system.svc:9090';

export const GRAFANA_NAME = 'grafana';
/** The label every grafana-operator resource here selects its Grafana instance by. */
export const INSTANCE_LABEL = { 'plinth.dev/grafana-instance': GRAFANA_NAME } as const;
export const DISCORD_WEBHOOK_INPUT = 'grafana-discord-webhook';
export const API_TOKEN_INPUT = 'grafana-api-token';
export const CONTACT_POINT = 'discord';
export const EMAIL_CONTACT_POINT = 'email';

/**
 * Where alerts go, by severity (Alertmanager's routing tree, which Grafana's notification policy is): critical alerts
 * to Discord at once and every hour until resolved, and also by email when there is an email contact point; warnings
 * to Discord, grouped for longer and repeated every 12 hours. The root route catches anything else.
 */
export function notificationRoute(email: boolean) {
  const critical = [['severity', '=', 'critical']];
  return {
    receiver: CONTACT_POINT,
    group_by: ['grafana_folder', 'alertname'],
    group_wait: '30s',
    group_interval: '5m',
    repeat_interval: '4h',
    routes: [
      { receiver: CONTACT_POINT, object_matchers: critical, group_wait: '10s', repeat_interval: '1h', ...(email && { continue: true }) },
      ...(email ? [{ receiver: EMAIL_CONTACT_POINT, object_matchers: critical, group_wait: '10s', repeat_interval: '1h' }] : []),
      { receiver: CONTACT_POINT, object_matchers: [['severity', '=', 'warning']], group_wait: '1m', repeat_interval: '12h' },
    ],
  };
}
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
  /**
   * The existing Grafana, as the operator reaches it (install: false); defaults to the monitoring component's Grafana
   * when that is on, else Magnum's in-cluster Service.
   */
  url: httpUrl.optional(),
  /** Public host of the Grafana the operator deploys (install: true); defaults to grafana.<domain>. */
  host: hostname.optional(),
  /** Prometheus the deployed Grafana queries (install: true); defaults to the monitoring component's, else Magnum's. */
  prometheusUrl: httpUrl.optional(),
  /** uid of the Prometheus datasource the rules query; kube-prometheus-stack provisions "prometheus". */
  datasourceUid: uid.default(DATASOURCE_UID),
  /** Title of the Grafana folder holding the rules. */
  folder: z.string().min(1).max(100).default('Cluster alerts'),
  /**
   * Labels the cluster's Prometheus selects ServiceMonitors and PodMonitors by. Magnum installs the prometheus-operator
   * chart as Helm release "magnum" (magnum drivers/common/templates/kubernetes/fragments/install-helm-modules.sh), whose
   * Prometheus selects `release: magnum`; kube-prometheus-stack selects `release: <its release name>`, which is the
   * default when the monitoring component is on.
   */
  scrapeLabels: z.record(z.string().min(1), z.string()).optional(),
  /** A second contact point for critical alerts: email, through the SMTP settings of the Grafana instance. */
  email: z.strictObject({ addresses: z.array(z.email({ error: 'must be an email address' })).min(1) }).optional(),
  thresholds: z
    .strictObject({
      /** Filesystem use on a node, in percent; the seed's team lost every node to full root volumes once. */
      diskPercent: percent(85),
      memoryPercent: percent(90),
      cpuPercent: percent(90),
      /** Use of any persistent volume, in percent: a full database volume stops PostgreSQL (the seed's first incident). */
      volumePercent: percent(80),
    })
    .prefault({}),
});

type Options = z.output<typeof options>;

/**
 * Where the Grafana, its Prometheus and the Prometheus's monitor selector are, unless the options say: the monitoring
 * component's stack when it is on, else the one Magnum installs.
 */
function stackOf(cluster: ClusterConfig, options: Options) {
  const stack = monitoringOf(cluster);
  const names = stack && stackNames(stack.namespace);
  return {
    url: options.url ?? (names && stack.options.grafana.enabled ? names.grafanaUrl : MAGNUM_GRAFANA_URL),
    prometheusUrl: options.prometheusUrl ?? names?.prometheusUrl ?? MAGNUM_PROMETHEUS_URL,
    scrapeLabels: options.scrapeLabels ?? names?.scrapeLabels ?? { release: 'magnum' },
    /**
     * The namespace of the stack Grafana's generated admin login, when the operator logs in with it: a copy of that
     * Secret in this namespace, by ClusterSecret, replaces the service account token a person would have to create.
     */
    adminFrom:
      !options.install && options.url === undefined && stack?.options.grafana.enabled && 'clustersecret' in cluster.components ? stack.namespace : undefined,
    /** The public host of the stack's Grafana, which a Grafana deployed here must not share. */
    grafanaHost: stack?.options.grafana.enabled && stack.options.grafana.ingress ? (stack.options.grafana.host ?? `grafana.${cluster.domain}`) : undefined,
  };
}

const instanceSelector = { matchLabels: { ...INSTANCE_LABEL } };

function grafanaInstance(ctx: { namespace: string; host: string; url: string; adminLogin: boolean; clusterIssuer: string; options: Options }): K8sObject {
  const { namespace, host, url, adminLogin, clusterIssuer, options } = ctx;
  const metadata = { name: GRAFANA_NAME, namespace, labels: { ...INSTANCE_LABEL } };
  if (!options.install) {
    return {
      apiVersion: GRAFANA_API,
      kind: 'Grafana',
      metadata,
      spec: {
        external: adminLogin
          ? { url, adminUser: { name: GRAFANA_ADMIN_SECRET, key: 'admin-user' }, adminPassword: { name: GRAFANA_ADMIN_SECRET, key: 'admin-password' } }
          : { url, apiKey: { name: API_TOKEN_INPUT, key: 'token' } },
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
        metadata: { annotations: publicIngressAnnotations(host, clusterIssuer) },
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

/**
 * The stack Grafana's admin login, copied by the ClusterSecret operator into this namespace, where the Grafana
 * resource can read it (its secret references are namespace-local). As the clustersecret component copies database
 * credentials: the source Secret's keys, into the namespaces matching `^<name>$`.
 */
function adminCopy(from: string, to: string): K8sObject {
  return {
    apiVersion: 'clustersecret.io/v1',
    kind: 'ClusterSecret',
    metadata: { name: GRAFANA_ADMIN_SECRET },
    matchNamespace: [`^${to}$`],
    data: { valueFrom: { secretKeyRef: { name: GRAFANA_ADMIN_SECRET, namespace: from, keys: ['admin-user', 'admin-password'] } } },
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
    const stack = stackOf(cluster, options);
    if (options.install && stack.grafanaHost === host)
      throw new ConfigError([
        {
          path: formatPath(['components', 'grafana', 'host']),
          message: `${host} is also the host of the monitoring component's Grafana: two Ingresses would claim it`,
          hint: 'leave components.grafana.install off to manage the monitoring component\'s Grafana, or give one of them another host',
        },
      ]);
    const objects: K8sObject[] = [
      grafanaInstance({ namespace, host, url: stack.url, adminLogin: stack.adminFrom !== undefined, clusterIssuer: defaultClusterIssuer(cluster), options }),
      externalSecret({
        name: DISCORD_WEBHOOK_INPUT,
        namespace,
        keys: [{ secretKey: 'url', input: DISCORD_WEBHOOK_INPUT, key: 'url' }],
      }),
    ];
    if (!options.install) {
      objects.push(
        stack.adminFrom
          ? adminCopy(stack.adminFrom, namespace)
          : externalSecret({ name: API_TOKEN_INPUT, namespace, keys: [{ secretKey: 'token', input: API_TOKEN_INPUT, key: 'token' }] }),
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
            url: stack.prometheusUrl,
            isDefault: true,
          },
        },
      });
    }
    return objects;
  },
  alerts: ({ options }) => clusterAlerts(options.thresholds),
  // With the monitoring component on, it declares these targets itself, with doctor checks on their ServiceMonitors.
  scrapeTargets: ({ enabled }) => (enabled('monitoring') ? [] : stackTargets),
  monitoringLabels: ({ cluster, options }) => stackOf(cluster, options).scrapeLabels,
  collectAlerts: ({ namespace, options }, alerts) => [
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
    ...(options.email
      ? [
          {
            apiVersion: GRAFANA_API,
            kind: 'GrafanaContactPoint',
            metadata: { name: EMAIL_CONTACT_POINT, namespace },
            spec: {
              instanceSelector,
              name: EMAIL_CONTACT_POINT,
              // Grafana's email notifier takes the addresses separated by ";" (pkg/services/ngalert/notifier/channels_config).
              receivers: [{ type: 'email', settings: { addresses: options.email.addresses.join(';'), singleEmail: true } }],
            },
          },
        ]
      : []),
    {
      apiVersion: GRAFANA_API,
      kind: 'GrafanaNotificationPolicy',
      metadata: { name: 'discord', namespace },
      spec: { instanceSelector, route: notificationRoute(options.email !== undefined) },
    },
    ...ruleGroups(alerts, options.datasourceUid).map((group) => ({
      apiVersion: GRAFANA_API,
      kind: 'GrafanaAlertRuleGroup',
      metadata: { name: group.name, namespace },
      spec: { instanceSelector, folderRef: FOLDER, name: group.title, interval: '1m', rules: group.rules },
    })),
  ],
  secrets: ({ cluster, options }) => [
    {
      name: DISCORD_WEBHOOK_INPUT,
      keys: [{ key: 'url', description: 'Discord webhook URL, https://discord.com/api/webhooks/<id>/<token>' }],
      purpose: 'where Grafana sends alert notifications',
      howToGet: 'Discord: channel settings > Integrations > Webhooks > New Webhook > Copy Webhook URL',
    },
    ...(options.install || stackOf(cluster, options).adminFrom
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
  health: ({ cluster, namespace, options }) => [
    { description: 'operator', apiVersion: 'apps/v1', kind: 'Deployment', name: 'grafana-operator', namespace },
    ...(stackOf(cluster, options).adminFrom
      ? [
          {
            description: "the monitoring stack's Grafana admin login, copied here",
            apiVersion: 'clustersecret.io/v1',
            kind: 'ClusterSecret',
            name: GRAFANA_ADMIN_SECRET,
            blame: 'clustersecret',
          },
        ]
      : []),
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
