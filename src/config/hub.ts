import { ConfigError, type ConfigIssue } from '../errors.ts';
import type { HubLink, HubStages } from '../core/hub.ts';
import type { ManagedCluster } from '../components/argo-cd/index.ts';
import { argoNamespaceOf } from '../core/context.ts';
import { formatPath } from './paths.ts';
import type { Registry } from './schema.ts';
import type { ResolvedCluster } from './validate.ts';

const ARGO_CD = 'argo-cd';

/** The app stages an environment runs: those it lists, or every stage of its apps. */
const stagesOf = (cluster: ResolvedCluster): string[] =>
  cluster.config.environment?.stages ?? [...new Set(cluster.config.apps.flatMap((app) => app.stages))];

/**
 * Hub mode across the resolved environments: each environment with `managedBy` becomes a cluster of its hub's
 * Argo CD (components["argo-cd"].clusters, with the spoke's tree, so the hub runs the spoke's root), and learns the
 * hub's Argo CD namespace, where its Applications live (core/hub.ts). Refused, with the environment's path: a hub
 * without Argo CD or External Secrets, a spoke that runs an Argo CD of its own, and a stage two environments of one
 * hub both run (their Applications would share a name on the hub).
 */
export function linkHubs(clusters: readonly ResolvedCluster[], registry: Registry, file?: string): ResolvedCluster[] {
  const byName = new Map(clusters.flatMap((c) => (c.config.environment ? [[c.config.environment.name, c] as const] : [])));
  const issues: ConfigIssue[] = [];
  const spokesOf = new Map<string, ResolvedCluster[]>();
  for (const spoke of clusters) {
    const env = spoke.config.environment;
    if (!env?.managedBy) continue;
    const hub = byName.get(env.managedBy);
    if (!hub) continue; // resolveEnvironments reports an undeclared hub
    const at = (...path: (string | number)[]) => formatPath(['environments', env.name, ...path]);
    if (!(ARGO_CD in hub.config.components))
      issues.push({ path: at('managedBy'), message: `environment "${env.managedBy}" runs no Argo CD to manage this one`, hint: `enable components["argo-cd"] in environment "${env.managedBy}", or remove managedBy` });
    else if (!('external-secrets' in hub.config.components))
      issues.push({
        path: at('managedBy'),
        message: `environment "${env.managedBy}" has no external-secrets component to deliver this cluster's credentials to its Argo CD`,
        hint: `enable components["external-secrets"] in environment "${env.managedBy}"`,
      });
    if (ARGO_CD in spoke.config.components)
      issues.push({
        path: at('components', ARGO_CD),
        message: `is enabled, but environment "${env.managedBy}"'s Argo CD deploys this environment: a second Argo CD here would sit idle`,
        hint: `turn it off here: environments.${env.name}.components: { "argo-cd": false }`,
      });
    spokesOf.set(env.managedBy, [...(spokesOf.get(env.managedBy) ?? []), spoke]);
  }
  for (const [hubName, spokes] of spokesOf) {
    const hub = byName.get(hubName)!;
    const runs = new Map<string, ResolvedCluster>();
    for (const cluster of [hub, ...spokes]) {
      const env = cluster.config.environment!;
      const stages = stagesOf(cluster);
      stages.forEach((stage, i) => {
        const other = runs.get(stage);
        if (other === undefined) return void runs.set(stage, cluster);
        const first = other.config.environment!;
        issues.push({
          path: formatPath(['environments', env.name, ...(env.stages ? ['stages', i] : [])]),
          message: `${env.stages ? `stage "${stage}"` : `runs every stage, "${stage}" too, which`} also runs in environment "${first.name}": both Applications ${JSON.stringify(`<app>-${stage}`)} would live in the hub's Argo CD`,
          hint: first.stages
            ? `give each environment its own stages: environments.${env.name}.stages`
            : `list the stages each environment runs: environments.${first.name}.stages and environments.${env.name}.stages`,
        });
      });
      // The hub's Kargo promotes from the hub's repository and revision, into the spoke's folder of it.
      const git = cluster.config.git;
      if (cluster !== hub && stages.length > 0 && (git.repoURL !== hub.config.git.repoURL || git.revision !== hub.config.git.revision))
        issues.push({
          path: formatPath(['environments', env.name, 'git']),
          message: `the hub's Kargo promotes this environment's stages from ${hub.config.git.repoURL} (${hub.config.git.revision}), but its tree is in ${git.repoURL} (${git.revision})`,
          hint: `keep the spoke's tree in the hub's repository and revision (another git.path is fine), or run the stages elsewhere`,
        });
    }
  }
  if (issues.length > 0) throw new ConfigError(issues, file);

  return clusters.map((cluster) => {
    const env = cluster.config.environment;
    if (!env) return cluster;
    const spokes = spokesOf.get(env.name);
    if (spokes) {
      const argo = cluster.config.components[ARGO_CD]!;
      const declared = (argo.options.clusters as ManagedCluster[] | undefined) ?? [];
      const added: ManagedCluster[] = spokes.map((spoke) => ({
        name: spoke.config.environment!.name,
        server: spoke.config.environment!.server!,
        tree: { repoURL: spoke.config.git.repoURL, revision: spoke.config.git.revision, path: spoke.config.git.path },
      }));
      const components = { ...cluster.config.components, [ARGO_CD]: { ...argo, options: { ...argo.options, clusters: [...declared, ...added] } } };
      // The hub's Kargo promotes the spokes' stages too, each from the spoke's tree.
      const stagePaths = Object.fromEntries(spokes.flatMap((spoke) => stagesOf(spoke).map((stage) => [stage, spoke.config.git.path] as const)));
      const pipelineStages = [...stagesOf(cluster), ...Object.keys(stagePaths)];
      const environment: typeof env & HubStages = { ...env, pipelineStages, stagePaths };
      return { ...cluster, config: { ...cluster.config, components, environment } };
    }
    const hub = env.managedBy ? byName.get(env.managedBy) : undefined;
    if (!hub) return cluster;
    const environment: typeof env & HubLink = { ...env, hubArgoNamespace: argoNamespaceOf(hub.config, registry) };
    return { ...cluster, config: { ...cluster.config, environment } };
  });
}
