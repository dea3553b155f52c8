import { podLabels } from '../../apps/context.ts';
import type { AppConfig, ClusterConfig } from '../../config/schema.ts';
import { formatPath } from '../../config/paths.ts';
import { stageNamespace } from '../../core/conventions.ts';
import type { K8sObject } from '../../core/types.ts';
import { ConfigError, type ConfigIssue } from '../../errors.ts';

/**
 * ztunnel receives mesh traffic on the destination pod's port 15008 (HBONE), inside the pod's network namespace
 * (istio/istio cni/pkg/config/config.go ZtunnelInboundPort at 1.30.3), so a NetworkPolicy sees 15008, not the app's port.
 */
export const HBONE_PORT = 15008;
/**
 * In ambient mode the node agent SNATs the kubelet's probes to this address so ztunnel lets them through
 * (istio/istio cni/pkg/iptables/iptables.go at 1.30.3, `-j SNAT --to-source 169.254.7.127`).
 */
export const PROBE_SOURCE = '169.254.7.127/32';

/** A call between two apps inside one stage namespace, where the callee is reached at `<callee>.<stage>.svc`. */
interface Call {
  caller: AppConfig;
  callee: AppConfig;
  stage: string;
}

function callsOf(cluster: ClusterConfig): Call[] {
  const byName = new Map(cluster.apps.map((app) => [app.name, app]));
  return cluster.apps.flatMap((caller) =>
    caller.calls.flatMap((name) => {
      const callee = byName.get(name);
      if (!callee) return [];
      return caller.stages.filter((stage) => callee.stages.includes(stage)).map((stage) => ({ caller, callee, stage }));
    }),
  );
}

/**
 * STRICT mTLS for every app another app calls, in each stage where it is called: the callee then takes only mesh
 * traffic. Scoped to the callees' pods by selector, not to whole namespaces, so an app only Traefik reaches keeps
 * taking Traefik's plain HTTP. Refused where STRICT would break a call: a stage namespace outside the mesh (its
 * callers could not send mTLS), or a callee Traefik also reaches while Traefik is outside the mesh.
 */
export function strictMtls(input: { cluster: ClusterConfig; mesh: readonly string[]; meshOption: string; traefikNamespace: string }): K8sObject[] {
  const { cluster, mesh, meshOption, traefikNamespace } = input;
  const path = formatPath(['components', 'istio', 'mtls']);
  const calls = callsOf(cluster);
  const issues: ConfigIssue[] = [];
  if (calls.length === 0)
    issues.push({
      path,
      message: 'is "strict" but no app calls another: there is no app-to-app traffic to make strict',
      hint: 'list the apps each app sends requests to in apps[].calls, or leave mtls "permissive"',
    });
  const seen = new Set<string>();
  const policies: K8sObject[] = [];
  for (const { caller, callee, stage } of calls) {
    const namespace = stageNamespace(stage);
    if (!mesh.includes(namespace)) {
      const key = `namespace/${namespace}`;
      if (!seen.has(key))
        issues.push({
          path,
          message: `"${caller.name}" calls "${callee.name}" in namespace "${namespace}", which is not in the mesh: the call would be plain text and STRICT would refuse it`,
          hint: `add "${namespace}" to ${formatPath(['components', 'istio', meshOption])}`,
        });
      seen.add(key);
      continue;
    }
    if (callee.host && !mesh.includes(traefikNamespace)) {
      const key = `traefik/${callee.name}`;
      if (!seen.has(key))
        issues.push({
          path,
          message: `"${callee.name}" is called by "${caller.name}" and also serves ${callee.host} through Traefik, which is outside the mesh: STRICT would refuse Traefik's requests`,
          hint: `serve the public host from an app that calls "${callee.name}", or add Traefik's namespace "${traefikNamespace}" to ${formatPath(['components', 'istio', meshOption])}`,
        });
      seen.add(key);
      continue;
    }
    const key = `${namespace}/${callee.name}`;
    if (seen.has(key)) continue;
    seen.add(key);
    policies.push({
      apiVersion: 'security.istio.io/v1',
      kind: 'PeerAuthentication',
      metadata: { name: callee.name, namespace },
      spec: { selector: { matchLabels: podLabels(callee.name) }, mtls: { mode: 'STRICT' } },
    });
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return policies;
}

/**
 * What ambient adds to each app's NetworkPolicy (src/apps/network.ts), as a second policy beside it (policies only
 * ever add allowed traffic): the kubelet's SNATed probes, and HBONE on 15008 from and to exactly the peers the app's
 * own policy allows on its port. Without it, a default-deny policy drops every mesh call in an ambient namespace.
 */
export function ambientNetworkPolicies(input: { cluster: ClusterConfig; mesh: readonly string[]; traefikNamespace: string }): K8sObject[] {
  const { cluster, mesh, traefikNamespace } = input;
  const calls = callsOf(cluster);
  const hbone = [{ protocol: 'TCP', port: HBONE_PORT }];
  return cluster.apps.flatMap((app) =>
    app.stages
      .filter((stage) => mesh.includes(stageNamespace(stage)))
      .map((stage): K8sObject => {
        const callers = calls.filter((c) => c.callee === app && c.stage === stage).map((c) => c.caller.name);
        const callees = calls.filter((c) => c.caller === app && c.stage === stage).map((c) => c.callee.name);
        const peers = [
          ...(app.host && mesh.includes(traefikNamespace)
            ? [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': traefikNamespace } } }]
            : []),
          ...[...new Set(callers)].map((name) => ({ podSelector: { matchLabels: podLabels(name) } })),
        ];
        const egress = [...new Set(callees)].map((name) => ({ to: [{ podSelector: { matchLabels: podLabels(name) } }], ports: hbone }));
        return {
          apiVersion: 'networking.k8s.io/v1',
          kind: 'NetworkPolicy',
          metadata: { name: `${app.name}-ambient`, namespace: stageNamespace(stage) },
          spec: {
            podSelector: { matchLabels: podLabels(app.name) },
            policyTypes: egress.length > 0 ? ['Ingress', 'Egress'] : ['Ingress'],
            ingress: [{ from: [{ ipBlock: { cidr: PROBE_SOURCE } }] }, ...(peers.length > 0 ? [{ from: peers, ports: hbone }] : [])],
            ...(egress.length > 0 && { egress }),
          },
        };
      }),
  );
}
