// A team's config imports '@plinth-platform/plinth' (docs/install.md); the examples import the sources,
// so the checkout's tests render and validate them without building the package.
import { defineCluster } from '../src/index.ts';

/**
 * The seed's platform with every extra a real team runs beside it, each a component rather than a hand-written
 * Argo CD Application: its own monitoring (the provider's is off), GitHub sign-in in front of every admin UI,
 * container logs shipped to a bucket, self-hosted CI runners, Istio in ambient mode with Kiali, and one chart
 * Plinth has no component for. `plinth validate --strict` passes it and `plinth secrets list` shows no render problem.
 */
export default defineCluster({
  name: 'clinic',
  domain: 'clinic.example.org',
  git: { repoURL: 'https://git.example.org/clinic/infra.git' },
  components: {
    'argo-cd': { sso: true },
    'cert-manager': { acmeEmail: 'ops@clinic.example.org' },
    'designate-webhook': {},
    traefik: {},
    'external-dns': {},
    'external-secrets': {},
    'secret-generator': {},
    clustersecret: {},
    'cloudnative-pg': { backup: { destinationPath: 's3://clinic-backups/postgres', endpointURL: 'https://s3.example.org' } },
    'barman-cloud': {},
    valkey: {},
    kargo: { sso: ['platform'] },
    keda: {},
    // Magnum runs with monitoring_enabled=false: the cluster runs its own Prometheus and Grafana.
    monitoring: { prometheus: { retention: '30d', retentionSize: '40GB', storage: { size: '50Gi' } }, sso: true },
    grafana: {},
    sso: { github: { org: 'clinic' } },
    logging: { bucket: 'clinic-logs', endpoint: 'https://swift.example.org', excludeNamespaces: ['kube-system'] },
    runners: {
      sets: [{ name: 'clinic-linux', githubConfigUrl: 'https://github.com/clinic', maxRunners: 4, storage: { size: '20Gi', storageClass: 'standard' } }],
    },
    istio: { mode: 'ambient' },
    kiali: { sso: ['platform'] },
  },
  charts: [
    {
      name: 'podinfo',
      repo: 'https://stefanprodan.github.io/podinfo',
      chart: 'podinfo',
      version: '6.9.2',
      namespace: 'tools',
      needs: ['argo-cd'],
      values: { replicaCount: 1 },
      health: [{ kind: 'Deployment', name: 'podinfo' }],
    },
  ],
  postgres: { servers: [{ name: 'main' }], databases: [{ name: 'clinic', server: 'main' }] },
  caches: [{ name: 'sessions' }],
  apps: [
    {
      name: 'web',
      image: 'ghcr.io/clinic/web',
      port: 3000,
      host: 'clinic.example.org',
      calls: ['api'],
      cache: 'sessions',
    },
    { name: 'api', image: 'ghcr.io/clinic/api', port: 3000, host: 'api.clinic.example.org', database: 'clinic' },
    // An internal admin tool: only the platform team signs in.
    { name: 'admin', image: 'ghcr.io/clinic/admin', port: 8080, host: 'admin.clinic.example.org', calls: ['api'], sso: ['platform'] },
  ],
});
