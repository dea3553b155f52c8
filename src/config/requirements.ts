import type { ConfigIssue } from '../errors.ts';
import type { ClusterConfig } from './schema.ts';
import { formatPath } from './paths.ts';
import { usesLocalCa } from '../core/conventions.ts';

interface Requirement {
  component: string;
  path: (string | number)[];
  /** What the component does for the declaration, shown to the user. */
  role: string;
}

/** The components that the cluster-level declarations (databases, topics, caches, apps) rely on. */
export function declarationRequirements(config: ClusterConfig): Requirement[] {
  const requirements: Requirement[] = [];
  if (config.postgres.servers.length > 0)
    requirements.push({ component: 'cloudnative-pg', path: ['postgres', 'servers'], role: 'runs the PostgreSQL servers' });
  config.postgres.servers.forEach((server, i) => {
    if (server.initdb?.import)
      requirements.push({ component: 'external-secrets', path: ['postgres', 'servers', i, 'initdb', 'import'], role: "brings the import source's password next to the server" });
  });
  if (config.topics.length > 0) requirements.push({ component: 'redpanda', path: ['topics'], role: 'runs the queue that holds the topics' });
  if (config.caches.length > 0) requirements.push({ component: 'valkey', path: ['caches'], role: 'runs the caches' });
  // A spoke's apps are deployed and promoted by its hub's Argo CD and Kargo, which the hub's own apps require.
  if (config.apps.length > 0 && !config.environment?.managedBy) {
    requirements.push({ component: 'argo-cd', path: ['apps'], role: 'deploys the apps' });
    requirements.push({ component: 'kargo', path: ['apps'], role: 'promotes new images of the apps through their stages' });
  }
  config.apps.forEach((app, i) => {
    if (app.host) {
      requirements.push({ component: 'traefik', path: ['apps', i, 'host'], role: 'routes the public host to the app' });
      requirements.push({ component: 'cert-manager', path: ['apps', i, 'host'], role: "issues the host's TLS certificate" });
      // With the local CA the hosts are local names (*.localtest.me) that no public DNS holds: nothing to publish.
      if (!usesLocalCa(config)) requirements.push({ component: 'external-dns', path: ['apps', i, 'host'], role: "publishes the host's DNS record" });
    }
    if (app.database)
      requirements.push({ component: 'clustersecret', path: ['apps', i, 'database'], role: "copies the database credentials into the app's namespaces" });
    if (app.cache)
      requirements.push({ component: 'clustersecret', path: ['apps', i, 'cache'], role: "copies the cache password into the app's namespaces" });
    if (app.scale) requirements.push({ component: 'keda', path: ['apps', i, 'scale'], role: 'scales the app on the topic lag' });
  });
  return requirements;
}

export function requirementIssues(config: ClusterConfig, enabled: ReadonlySet<string>): ConfigIssue[] {
  return declarationRequirements(config)
    .filter((r) => !enabled.has(r.component))
    .map((r) => ({
      path: formatPath(r.path),
      message: `needs the "${r.component}" component, which ${r.role}, but it is not enabled`,
      hint: `enable it with components: { "${r.component}": {} }, or remove this declaration`,
    }));
}
