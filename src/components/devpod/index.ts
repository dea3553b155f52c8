import { z } from 'zod';
import { dnsLabel, quantity, requestsWithinLimits } from '../../config/schema.ts';
import { defineComponent, type K8sObject } from '../../core/types.ts';

/** The role a member's RoleBinding grants in their own namespace, and nowhere else. */
export const DEVPOD_CLUSTER_ROLE = 'plinth-devpod';
export const MEMBER_LABEL = 'plinth.dev/devpod-member';

const MEMBER_PREFIX = 'devpod-';

export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

const READ = ['get', 'list', 'watch'];
const MANAGE = ['create', 'delete', 'get', 'list', 'watch', 'patch', 'update'];

/**
 * What the DevPod Kubernetes provider does in a namespace (workspace pod, its PVC, a pull secret, exec and
 * port-forward into it) plus reading what runs there. Only namespaced resources, so a RoleBinding confines
 * it to one namespace; no RBAC, quota or limit objects, so a member cannot widen their own rights or limits.
 */
export const DEVPOD_RULES: readonly PolicyRule[] = [
  { apiGroups: [''], resources: ['pods'], verbs: ['create', 'delete', 'get', 'list', 'watch', 'patch'] },
  // Websocket upgrades of exec/attach/port-forward are GET requests; newer API servers also check create.
  { apiGroups: [''], resources: ['pods/exec', 'pods/attach', 'pods/portforward'], verbs: ['create', 'get'] },
  { apiGroups: [''], resources: ['pods/log'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: [''], resources: ['services', 'persistentvolumeclaims', 'configmaps', 'secrets'], verbs: MANAGE },
  { apiGroups: [''], resources: ['events', 'serviceaccounts'], verbs: READ },
  { apiGroups: ['apps'], resources: ['deployments', 'replicasets'], verbs: READ },
];

const computeResources = (cpu: string, memory: string) =>
  z.strictObject({ cpu: quantity.default(cpu), memory: quantity.default(memory) }).prefault({});

export const memberName = dnsLabel.max(63 - MEMBER_PREFIX.length, {
  error: `must be at most ${63 - MEMBER_PREFIX.length} characters, so "${MEMBER_PREFIX}<member>" stays a valid namespace name`,
});

export const options = z.strictObject({
  /** Members who get a namespace `devpod-<member>` with a service account bound to the DevPod role. */
  members: z.array(memberName).default([]),
  /** Per-member namespace budget: enough for one workspace running the app, not for the cluster. */
  quota: z
    .strictObject({
      cpu: quantity.default('4'),
      memory: quantity.default('8Gi'),
      pods: z.int().min(1).default(10),
      storage: quantity.default('20Gi'),
    })
    .prefault({}),
  /** Limits and requests given to containers that declare none (the DevPod pod declares none by default). */
  containerDefaults: z
    .strictObject({ limits: computeResources('2', '4Gi'), requests: computeResources('250m', '512Mi') })
    .prefault({})
    .superRefine(requestsWithinLimits('default limit', 'Kubernetes rejects a LimitRange whose default request is above its default limit')),
  /** Namespaces of platform services members' pods may reach (e.g. a shared development database); none by default. */
  platformNamespaces: z.array(dnsLabel).default([]),
  /**
   * Pod Security level of member namespaces. baseline refuses privileged pods, so a member cannot take over
   * the node; privileged is needed only by devcontainers running Docker in Docker.
   */
  podSecurity: z.enum(['baseline', 'privileged']).default('baseline'),
});

export type DevpodOptions = z.output<typeof options>;

export const memberNamespace = (member: string): string => `${MEMBER_PREFIX}${member}`;

/** Private, shared and link-local ranges: other pods, services, nodes and the cloud metadata endpoint. */
const PRIVATE_RANGES = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', '169.254.0.0/16'];

const namespaceSelector = (name: string) => ({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': name } } });

/**
 * Everything a member needs in the cluster: their namespace with its quota, default limits and isolation,
 * and a service account bound to the DevPod role there. `plinth onboard` mints the kubeconfig from it.
 */
export function memberNamespaceObjects(member: string, options: DevpodOptions, namespace = memberNamespace(member)): K8sObject[] {
  const labels = { [MEMBER_LABEL]: member };
  const { quota, containerDefaults } = options;
  return [
    {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: namespace,
        labels: {
          ...labels,
          'pod-security.kubernetes.io/enforce': options.podSecurity,
          'pod-security.kubernetes.io/warn': options.podSecurity,
        },
      },
    },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: member, namespace, labels } },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: DEVPOD_CLUSTER_ROLE, namespace, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: DEVPOD_CLUSTER_ROLE },
      subjects: [{ kind: 'ServiceAccount', name: member, namespace }],
    },
    {
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: { name: 'devpod', namespace, labels },
      spec: {
        hard: {
          'requests.cpu': quota.cpu,
          'limits.cpu': quota.cpu,
          'requests.memory': quota.memory,
          'limits.memory': quota.memory,
          'requests.storage': quota.storage,
          pods: String(quota.pods),
          'services.loadbalancers': '0',
          'services.nodeports': '0',
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'LimitRange',
      metadata: { name: 'devpod', namespace, labels },
      spec: {
        limits: [
          {
            type: 'Container',
            default: { cpu: containerDefaults.limits.cpu, memory: containerDefaults.limits.memory },
            defaultRequest: { cpu: containerDefaults.requests.cpu, memory: containerDefaults.requests.memory },
          },
        ],
      },
    },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: {
        name: 'devpod-isolation',
        namespace,
        labels,
        // policy/egress-internet (src/validate/rules/policies.ts) asks every policy open to 0.0.0.0/0 to say why.
        annotations: { 'plinth.dev/allow-egress-internet': 'a member works from the pod: packages, git and registries on the internet' },
      },
      spec: {
        podSelector: {},
        policyTypes: ['Ingress', 'Egress'],
        ingress: [{ from: [{ podSelector: {} }] }],
        egress: [
          { to: [{ podSelector: {} }] },
          {
            to: [namespaceSelector('kube-system')],
            ports: [
              { protocol: 'UDP', port: 53 },
              { protocol: 'TCP', port: 53 },
            ],
          },
          { to: [{ ipBlock: { cidr: '0.0.0.0/0', except: PRIVATE_RANGES } }] },
          ...(options.platformNamespaces.length > 0 ? [{ to: options.platformNamespaces.map(namespaceSelector) }] : []),
        ],
      },
    },
  ];
}

export const devpodClusterRole = (): K8sObject => ({
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'ClusterRole',
  metadata: { name: DEVPOD_CLUSTER_ROLE },
  rules: DEVPOD_RULES.map((rule) => ({ ...rule, apiGroups: [...rule.apiGroups], resources: [...rule.resources], verbs: [...rule.verbs] })),
});

export const devpod = defineComponent({
  id: 'devpod',
  description: 'DevPod: restricted per-member namespaces where workspaces run on the cluster',
  namespace: 'devpod',
  needs: [],
  options,
  resources: ({ options }) => [devpodClusterRole(), ...options.members.flatMap((member) => memberNamespaceObjects(member, options))],
  health: ({ options }) => [
    { description: 'role bound in member namespaces', apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', name: DEVPOD_CLUSTER_ROLE },
    ...options.members.map((member) => ({
      description: `service account of ${member}`,
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      name: member,
      namespace: memberNamespace(member),
    })),
  ],
});
