import { ALERT_GROUPS, type AlertGroup, type AlertRule, type OwnedAlert, type ScrapeTarget } from '../../core/alerts.ts';

// The rules about the cluster itself (nodes, pods, volumes), whose metrics the cluster's Prometheus stack already
// scrapes, and how Grafana renders every component's rules.

export interface NodeThresholds {
  diskPercent: number;
  memoryPercent: number;
  cpuPercent: number;
  volumePercent: number;
}

const REAL_FILESYSTEMS = 'fstype!~"tmpfs|overlay|squashfs|ramfs|iso9660|nsfs|fuse.*"';

/**
 * What the Prometheus stack beside Grafana scrapes on its own (kube-prometheus-stack, which Magnum installs): these
 * need nothing rendered. Metric names at the versions that stack runs: node-exporter (node_exporter collector/
 * filesystem_linux.go, meminfo.go, cpu_linux.go), the kubelet's volume stats (kubernetes pkg/kubelet/metrics/
 * collectors/volume_stats.go), kube-state-metrics (internal/store/pod.go, node.go).
 */
export const stackTargets: ScrapeTarget[] = [
  {
    id: 'node-exporter',
    description: 'node-exporter on every node (the Prometheus stack scrapes it)',
    metrics: ['node_filesystem_avail_bytes', 'node_filesystem_size_bytes', 'node_memory_MemAvailable_bytes', 'node_memory_MemTotal_bytes', 'node_cpu_seconds_total'],
    external: true,
  },
  {
    id: 'kubelet',
    description: "each kubelet's volume stats (the Prometheus stack scrapes it)",
    metrics: ['kubelet_volume_stats_used_bytes', 'kubelet_volume_stats_capacity_bytes', 'kubelet_volume_stats_available_bytes'],
    external: true,
  },
  {
    id: 'kube-state-metrics',
    description: 'kube-state-metrics (the Prometheus stack scrapes it)',
    metrics: ['kube_pod_container_status_waiting_reason', 'kube_node_status_condition'],
    external: true,
  },
];

export function clusterAlerts(t: NodeThresholds): AlertRule[] {
  return [
    {
      uid: 'plinth-node-disk',
      title: 'Node filesystem almost full',
      name: 'NodeFilesystemAlmostFull',
      group: 'nodes',
      query: `100 * (1 - node_filesystem_avail_bytes{${REAL_FILESYSTEMS}} / node_filesystem_size_bytes{${REAL_FILESYSTEMS}})`,
      op: 'gt',
      threshold: t.diskPercent,
      for: '10m',
      severity: 'critical',
      noData: 'NoData',
      noDataWhy: 'every node runs node-exporter: no data means it stopped, and the seed lost every node to full root volumes once',
      summary: `Filesystem {{ $labels.mountpoint }} on {{ $labels.instance }} is more than ${t.diskPercent}% full`,
      runbook: 'eraser should be removing unused images: check its ImageJobs, then large images and logs on the node',
      description: '{{ $labels.mountpoint }} on {{ $labels.instance }} is {{ humanize $values.A.Value }}% full.',
      tests: {
        fires: {
          series: [
            { series: 'node_filesystem_avail_bytes{instance="node-1",mountpoint="/",fstype="ext4"}', values: '10x20' },
            { series: 'node_filesystem_size_bytes{instance="node-1",mountpoint="/",fstype="ext4"}', values: '100x20' },
          ],
          at: '15m',
          labels: { instance: 'node-1', mountpoint: '/', fstype: 'ext4' },
        },
        silent: {
          series: [
            { series: 'node_filesystem_avail_bytes{instance="node-1",mountpoint="/",fstype="ext4"}', values: '60x20' },
            { series: 'node_filesystem_size_bytes{instance="node-1",mountpoint="/",fstype="ext4"}', values: '100x20' },
            // A full tmpfs is not a disk: excluded by fstype.
            { series: 'node_filesystem_avail_bytes{instance="node-1",mountpoint="/run",fstype="tmpfs"}', values: '0x20' },
            { series: 'node_filesystem_size_bytes{instance="node-1",mountpoint="/run",fstype="tmpfs"}', values: '100x20' },
          ],
          at: '15m',
        },
      },
    },
    {
      uid: 'plinth-node-memory',
      title: 'Node memory high',
      name: 'NodeMemoryHigh',
      group: 'nodes',
      query: '100 * (1 - node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes)',
      op: 'gt',
      threshold: t.memoryPercent,
      for: '10m',
      severity: 'warning',
      noData: 'NoData',
      noDataWhy: 'node-exporter runs on every node: no data means it stopped',
      summary: `{{ $labels.instance }} uses more than ${t.memoryPercent}% of its memory`,
      runbook: 'kubectl top pods -A --sort-by=memory; check the limits of the biggest pods',
      description: '{{ $labels.instance }} uses {{ humanize $values.A.Value }}% of its memory.',
      tests: {
        fires: {
          series: [
            { series: 'node_memory_MemAvailable_bytes{instance="node-1"}', values: '5x20' },
            { series: 'node_memory_MemTotal_bytes{instance="node-1"}', values: '100x20' },
          ],
          at: '15m',
          labels: { instance: 'node-1' },
        },
        silent: {
          series: [
            { series: 'node_memory_MemAvailable_bytes{instance="node-1"}', values: '50x20' },
            { series: 'node_memory_MemTotal_bytes{instance="node-1"}', values: '100x20' },
          ],
          at: '15m',
        },
      },
    },
    {
      uid: 'plinth-node-cpu',
      title: 'Node CPU high',
      name: 'NodeCpuHigh',
      group: 'nodes',
      query: '100 * (1 - avg by (instance) (rate(node_cpu_seconds_total{mode="idle"}[5m])))',
      op: 'gt',
      threshold: t.cpuPercent,
      for: '15m',
      severity: 'warning',
      noData: 'NoData',
      noDataWhy: 'node-exporter runs on every node: no data means it stopped',
      summary: `{{ $labels.instance }} CPU has been more than ${t.cpuPercent}% busy for 15 minutes`,
      runbook: 'kubectl top pods -A --sort-by=cpu; a KEDA-scaled worker at its maxReplicas is a usual suspect',
      description: '{{ $labels.instance }} CPU is {{ humanize $values.A.Value }}% busy.',
      tests: {
        // idle grows 0.02 s per second: 98% busy.
        fires: { series: [{ series: 'node_cpu_seconds_total{instance="node-1",cpu="0",mode="idle"}', values: '0+1.2x40' }], at: '30m', labels: { instance: 'node-1' } },
        silent: { series: [{ series: 'node_cpu_seconds_total{instance="node-1",cpu="0",mode="idle"}', values: '0+50x40' }], at: '30m' },
      },
    },
    {
      uid: 'plinth-node-not-ready',
      title: 'Node not ready',
      name: 'NodeNotReady',
      group: 'nodes',
      query: 'max by (node) (kube_node_status_condition{condition="Ready",status="true"})',
      op: 'lt',
      threshold: 1,
      for: '5m',
      severity: 'critical',
      noData: 'NoData',
      noDataWhy: 'kube-state-metrics reports every node: no data means it or the scrape stopped',
      summary: 'Node {{ $labels.node }} is not Ready',
      runbook: 'kubectl describe node {{ $labels.node }}: look at its conditions (disk pressure, kubelet down) and the cloud console',
      tests: {
        fires: { series: [{ series: 'kube_node_status_condition{node="node-1",condition="Ready",status="true"}', values: '1 1 0x10' }], at: '10m', labels: { node: 'node-1' } },
        silent: { series: [{ series: 'kube_node_status_condition{node="node-1",condition="Ready",status="true"}', values: '1x12' }], at: '10m' },
      },
    },
    {
      uid: 'plinth-pod-crashloop',
      title: 'Pod crash looping',
      name: 'PodCrashLooping',
      group: 'workloads',
      query: 'max by (namespace, pod, container) (kube_pod_container_status_waiting_reason{reason="CrashLoopBackOff"})',
      op: 'gt',
      threshold: 0,
      for: '10m',
      severity: 'warning',
      noData: 'OK',
      noDataWhy: 'kube-state-metrics only reports containers that are waiting: no series means none is crash looping',
      summary: '{{ $labels.namespace }}/{{ $labels.pod }} container {{ $labels.container }} keeps crashing',
      runbook: 'kubectl -n {{ $labels.namespace }} logs {{ $labels.pod }} -c {{ $labels.container }} --previous',
      tests: {
        fires: {
          series: [{ series: 'kube_pod_container_status_waiting_reason{namespace="production",pod="api-1",container="api",reason="CrashLoopBackOff"}', values: '1x20' }],
          at: '15m',
          labels: { namespace: 'production', pod: 'api-1', container: 'api' },
        },
        silent: {
          series: [{ series: 'kube_pod_container_status_waiting_reason{namespace="production",pod="api-1",container="api",reason="ContainerCreating"}', values: '1x20' }],
          at: '15m',
        },
      },
    },
    {
      uid: 'plinth-volume-almost-full',
      title: 'Volume almost full',
      name: 'PersistentVolumeAlmostFull',
      group: 'storage',
      query: '100 * max by (namespace, persistentvolumeclaim) (kubelet_volume_stats_used_bytes / kubelet_volume_stats_capacity_bytes)',
      op: 'gt',
      threshold: t.volumePercent,
      for: '5m',
      severity: 'warning',
      noData: 'OK',
      noDataWhy: 'the kubelet reports only mounted volumes: a cluster with none has no series',
      summary: `Volume {{ $labels.namespace }}/{{ $labels.persistentvolumeclaim }} is more than ${t.volumePercent}% full`,
      runbook: 'grow the PVC (when its StorageClass allows expansion) or free space; a full database volume stops PostgreSQL',
      description: '{{ $labels.namespace }}/{{ $labels.persistentvolumeclaim }} is {{ humanize $values.A.Value }}% full.',
      tests: {
        fires: {
          series: [
            { series: 'kubelet_volume_stats_used_bytes{namespace="logs",persistentvolumeclaim="data-0"}', values: '90x10' },
            { series: 'kubelet_volume_stats_capacity_bytes{namespace="logs",persistentvolumeclaim="data-0"}', values: '100x10' },
          ],
          at: '8m',
          labels: { namespace: 'logs', persistentvolumeclaim: 'data-0' },
        },
        silent: {
          series: [
            { series: 'kubelet_volume_stats_used_bytes{namespace="logs",persistentvolumeclaim="data-0"}', values: '50x10' },
            { series: 'kubelet_volume_stats_capacity_bytes{namespace="logs",persistentvolumeclaim="data-0"}', values: '100x10' },
          ],
          at: '8m',
        },
      },
    },
  ];
}

/** A Grafana-managed rule: instant PromQL query A, alerting on each series where threshold B holds. */
export function grafanaRule(datasourceUid: string, rule: AlertRule) {
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
          expr: rule.query,
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
    annotations: { summary: rule.summary, runbook: rule.runbook, ...(rule.description && { description: rule.description }) },
  };
}

/** The rules of every component, one group per kind of thing they watch, in a stable order. */
export function ruleGroups(alerts: OwnedAlert[], datasourceUid: string) {
  const groups = new Map<AlertGroup, ReturnType<typeof grafanaRule>[]>();
  for (const group of Object.keys(ALERT_GROUPS) as AlertGroup[]) groups.set(group, []);
  for (const { rule } of alerts) groups.get(rule.group)!.push(grafanaRule(datasourceUid, rule));
  return [...groups]
    .filter(([, rules]) => rules.length > 0)
    .map(([name, rules]) => ({ name, title: ALERT_GROUPS[name], rules }));
}
