import { chmodSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { devpodProviderCommand, durationSeconds, memberKubeconfig } from '../access/kubeconfig.ts';
import {
  DEVPOD_CLUSTER_ROLE,
  devpodClusterRole,
  memberName,
  memberNamespace,
  memberNamespaceObjects,
  MEMBER_LABEL,
  options as devpodOptionsSchema,
  type DevpodOptions,
} from '../components/devpod/index.ts';
import { dnsLabel, type ClusterConfig } from '../config/schema.ts';
import { loadCluster } from '../config/load.ts';
import { UsageError, PlinthError } from '../errors.ts';
import type { ConnectOptions, LiveCluster } from '../kube/client.ts';
import type { LiveContext } from './live.ts';
import { connectEnvironment } from './environment.ts';

export const ONBOARDED_AT = 'plinth.dev/onboarded-at';
export const TOKEN_EXPIRES_AT = 'plinth.dev/token-expires-at';
/** TokenRequest refuses lifetimes under ten minutes. */
const MIN_TTL_SECONDS = 600;

interface AccessOptions extends ConnectOptions {
  config?: string;
  namespace?: string;
}

export interface OnboardOptions extends AccessOptions {
  /** With environments: the one to work on (required then); its kubeconfig context unless --context is given. */
  env?: string;
  ttl?: string;
  out?: string;
}

export interface OnboardResult {
  member: string;
  namespace: string;
  kubeconfig: string;
  context: string;
  expiresAt: string;
  /** The command that registers the kubeconfig with DevPod. */
  devpod: string;
  objects: string[];
}

function memberOf(name: string): string {
  const parsed = memberName.safeParse(name);
  if (!parsed.success) throw new UsageError(`"${name}" is not a member name: ${parsed.error.issues[0]!.message}`, 'use a DNS label such as "alice"');
  return parsed.data;
}

function namespaceOf(member: string, namespace: string | undefined): string {
  if (namespace === undefined) return memberNamespace(member);
  if (!dnsLabel.safeParse(namespace).success) throw new UsageError(`--namespace "${namespace}" is not a namespace name`);
  return namespace;
}

async function devpodOptions(ctx: LiveContext, config: string | undefined, env?: string): Promise<{ cluster: string; config: ClusterConfig; options: DevpodOptions }> {
  const { config: cluster } = await loadCluster(ctx.cwd, config, ctx.registry, env);
  const devpod = cluster.components['devpod'];
  if (!devpod)
    throw new UsageError('the devpod component is not enabled in this cluster', 'enable it with components: { devpod: {} }, render and apply, then onboard');
  return { cluster: cluster.name, config: cluster, options: devpodOptionsSchema.parse(devpod.options) };
}

const serviceAccountRef = (member: string, namespace: string) => ({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: member, namespace } });

/** Writes a file only its owner can read, replacing any previous one without a moment of wider access. */
function writePrivate(path: string, content: string): void {
  const temp = join(dirname(path), `.${process.pid}-${Date.now()}.kubeconfig.tmp`);
  writeFileSync(temp, content, { mode: 0o600, flag: 'wx' });
  chmodSync(temp, 0o600);
  renameSync(temp, path);
}

/**
 * Gives a member their own namespace (the devpod component's template: quota, default limits, isolation),
 * a ServiceAccount bound to the DevPod role there, and a kubeconfig with a token of the given lifetime.
 */
export async function onboard(name: string, options: OnboardOptions, ctx: LiveContext): Promise<OnboardResult> {
  const member = memberOf(name);
  const namespace = namespaceOf(member, options.namespace);
  const ttl = durationSeconds(options.ttl ?? '720h');
  if (ttl === undefined) throw new UsageError(`--ttl "${options.ttl}" is not a duration`, 'write it like 720h, 8h or 90m');
  if (ttl < MIN_TTL_SECONDS) throw new UsageError(`--ttl ${options.ttl} is shorter than the 10 minutes Kubernetes allows for a token`);
  const { cluster: clusterName, config, options: devpod } = await devpodOptions(ctx, options.config, options.env);
  const out = resolve(ctx.cwd, options.out ?? `${member}.kubeconfig`);

  const cluster = await connectEnvironment(ctx, options, config);
  ctx.progress(`onboarding ${member} in ${namespace} on ${cluster.server}`);
  // The role normally arrives with the devpod component; onboard also works before the first sync.
  const role = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: DEVPOD_CLUSTER_ROLE } };
  if (!(await cluster.get(role))) await cluster.apply(devpodClusterRole());

  const existing = await cluster.get(serviceAccountRef(member, namespace));
  const since = existing?.metadata.annotations?.[ONBOARDED_AT] ?? new Date().toISOString();
  const objects = memberNamespaceObjects(member, devpod, namespace);
  for (const object of objects) {
    if (object.kind === 'ServiceAccount') object.metadata.annotations = { ...object.metadata.annotations, [ONBOARDED_AT]: since };
    await cluster.apply(object);
  }

  const review = await cluster.createSubresource(serviceAccountRef(member, namespace), 'token', {
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'TokenRequest',
    spec: { expirationSeconds: ttl },
  });
  const status = review.status as { token: string; expirationTimestamp: string };
  await cluster.mergePatch(serviceAccountRef(member, namespace), { metadata: { annotations: { [TOKEN_EXPIRES_AT]: status.expirationTimestamp } } });

  const context = `${member}@${clusterName}`;
  writePrivate(
    out,
    memberKubeconfig({
      cluster: clusterName,
      server: cluster.server,
      certificateAuthority: cluster.certificateAuthority(),
      user: member,
      namespace,
      token: status.token,
    }),
  );
  return {
    member,
    namespace,
    kubeconfig: out,
    context,
    expiresAt: status.expirationTimestamp,
    devpod: devpodProviderCommand(out, context, namespace),
    objects: objects.map((o) => `${o.kind}/${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`),
  };
}

export interface OffboardOptions extends AccessOptions {
  deleteNamespace?: boolean;
}

export interface OffboardResult {
  member: string;
  namespace: string;
  revoked: boolean;
  namespaceDeleted: boolean;
}

/** Revokes a member's access: deleting the ServiceAccount invalidates every token issued for it. */
export async function offboard(name: string, options: OffboardOptions, ctx: LiveContext): Promise<OffboardResult> {
  const member = memberOf(name);
  const namespace = namespaceOf(member, options.namespace);
  const cluster = await ctx.connect(options);
  const account = await cluster.get(serviceAccountRef(member, namespace));
  if (!account && !options.deleteNamespace)
    throw new PlinthError(`${member} has no access in namespace ${namespace}`, 'see who has access with `plinth access list`');
  if (account) {
    ctx.progress(`revoking ${member}'s tokens in ${namespace}`);
    await cluster.delete(serviceAccountRef(member, namespace));
    await cluster.delete({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: DEVPOD_CLUSTER_ROLE, namespace } });
  }
  let namespaceDeleted = false;
  if (options.deleteNamespace) {
    const ns = await cluster.get({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
    if (ns && ns.metadata.labels?.[MEMBER_LABEL] !== member)
      throw new PlinthError(`namespace ${namespace} is not ${member}'s DevPod namespace; not deleting it`, 'delete it yourself if you mean to');
    if (ns) {
      ctx.progress(`deleting namespace ${namespace} and the workloads in it`);
      await cluster.delete({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
      namespaceDeleted = true;
    }
  }
  return { member, namespace, revoked: account !== undefined, namespaceDeleted };
}

export interface AccessEntry {
  member: string;
  namespace: string;
  since: string;
  /** When the last token Plinth issued expires; undefined for accounts whose tokens Plinth did not issue. */
  expiresAt?: string;
  expired: boolean;
}

/** Who has DevPod access: the member ServiceAccounts, from one list call. */
export async function accessList(options: ConnectOptions, ctx: LiveContext, now = new Date()): Promise<AccessEntry[]> {
  const cluster: LiveCluster = await ctx.connect(options);
  const accounts = await cluster.list('v1', 'ServiceAccount', { labelSelector: MEMBER_LABEL });
  return accounts
    .map((account) => {
      const annotations = account.metadata.annotations ?? {};
      const expiresAt = annotations[TOKEN_EXPIRES_AT];
      return {
        member: account.metadata.labels![MEMBER_LABEL]!,
        namespace: account.metadata.namespace!,
        since: annotations[ONBOARDED_AT] ?? String(account.metadata.creationTimestamp ?? ''),
        ...(expiresAt && { expiresAt }),
        expired: expiresAt !== undefined && new Date(expiresAt) <= now,
      };
    })
    .sort((a, b) => (a.member === b.member ? (a.namespace < b.namespace ? -1 : 1) : a.member < b.member ? -1 : 1));
}
