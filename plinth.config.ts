// A team's config imports '@plinth-platform/plinth' (docs/install.md); the seed imports the sources,
// so the checkout, its tests and benches run without building the package.
import { defineCluster } from './src/index.ts';

/**
 * The Mobility Scooter Web App cluster (MSWA) on Jetstream2, as its team describes it:
 * GitOps by Argo CD, public HTTPS through Traefik, external-dns and cert-manager (DNS01 via Designate),
 * one CloudNativePG server, a Redpanda queue feeding the video workers, a Valkey cache.
 */
export default defineCluster({
  name: 'mswa',
  domain: 'cis240470.projects.jetstream-cloud.org',
  git: {
    repoURL: 'https://github.com/Mobility-Scooter-Web-App/infra.git',
    revision: 'main',
    path: 'rendered',
  },
  components: {
    // Core: GitOps, TLS, ingress, DNS, secrets.
    'argo-cd': {},
    'cert-manager': { acmeEmail: 'ops@cis240470.projects.jetstream-cloud.org' },
    'designate-webhook': {},
    traefik: {},
    'external-dns': {},
    'external-secrets': {},
    'secret-generator': {},
    clustersecret: {},
    // Data: PostgreSQL (data and WAL on separate volumes), the video queue, the cache.
    'cloudnative-pg': {},
    redpanda: {},
    valkey: {},
    // Delivery and operations.
    kargo: {},
    keda: {},
    grafana: {},
    eraser: {},
    devpod: {},
    // Istio is in the seed's list but not in use: enable it with `istio: { injectNamespaces: [...] }`.
  },
  postgres: {
    servers: [{ name: 'main', instances: 2, dataSize: '20Gi', walSize: '5Gi' }],
    databases: [{ name: 'mswa', server: 'main' }],
  },
  topics: [{ name: 'videos', partitions: 3 }],
  caches: [{ name: 'sessions' }],
  // The seed's apps, each in two stages: `staging` gets every new image (deploy on push), `production` what a person
  // promotes from staging. Each stage has its own database, cache and topics (`mswa-staging`, `sessions-staging`,
  // `videos-staging`) and its own credentials, so staging never sees patient data.
  apps: [
    {
      name: 'web',
      stages: ['staging', 'production'],
      image: 'ghcr.io/mobility-scooter-web-app/web',
      port: 3000,
      replicas: 2,
      host: 'mswa.cis240470.projects.jetstream-cloud.org',
      cache: 'sessions',
      // The backend-for-frontend talks to the API inside the cluster, not over the public internet.
      calls: ['api'],
    },
    {
      name: 'api',
      stages: ['staging', 'production'],
      image: 'ghcr.io/mobility-scooter-web-app/api',
      port: 8080,
      replicas: 2,
      database: 'mswa',
      cache: 'sessions',
      topics: { produce: ['videos'] },
    },
    {
      name: 'video-worker',
      stages: ['staging', 'production'],
      image: 'ghcr.io/mobility-scooter-web-app/video-worker',
      database: 'mswa',
      topics: { consume: ['videos'] },
      scale: { topic: 'videos', minReplicas: 0, maxReplicas: 5, lagThreshold: 10 },
      resources: { requests: { cpu: '500m', memory: '512Mi' }, limits: { cpu: '2', memory: '2Gi' } },
    },
  ],
});
