// A team's config imports '@plinth-platform/plinth' (docs/install.md); the examples import the sources,
// so the checkout's tests render and validate them without building the package.
import { defineCluster } from '../src/index.ts';

/**
 * A real small team's apps, declared without a single `deployment` patch or `extraObjects` entry:
 * - web and api: Node on port 3000 as root (`node:20-slim` has no USER);
 * - api: migrates before each rollout, calls S3-compatible storage, SMTP and a Vault outside the cluster,
 *   serves /api/v1 behind a strip-prefix, answers health on /healthcheck and reads its own variable names;
 * - video-worker: a CUDA GPU Kafka consumer in a fixed consumer group, no port, a 10 GB+ image;
 * - transcriber and summarizer: model services on port 8000 that load for minutes before they serve.
 * Every secret an app reads is declared: `plinth secrets list` names it, `set` writes it, `check` finds it missing.
 */
export default defineCluster({
  name: 'clinic',
  domain: 'clinic.example.org',
  git: { repoURL: 'https://git.example.org/clinic/infra.git', revision: 'main', path: 'rendered' },
  components: {
    'argo-cd': {},
    'cert-manager': { acmeEmail: 'ops@clinic.example.org' },
    'designate-webhook': {},
    traefik: {},
    'external-dns': {},
    'external-secrets': {},
    'secret-generator': {},
    clustersecret: {},
    'cloudnative-pg': { backup: { destinationPath: 's3://clinic-backups/postgres', endpointURL: 'https://s3.example.org' } },
    // Backups go through CloudNativePG's Barman Cloud plugin.
    'barman-cloud': {},
    redpanda: {},
    valkey: {},
    kargo: {},
    keda: {},
  },
  postgres: { servers: [{ name: 'main' }], databases: [{ name: 'clinic', server: 'main' }] },
  topics: [{ name: 'videos', partitions: 3 }],
  caches: [{ name: 'sessions' }],
  apps: [
    {
      name: 'web',
      image: 'ghcr.io/clinic/web',
      port: 3000,
      host: 'clinic.example.org',
      security: { runAsRoot: 'node:20-slim has no USER; the Dockerfile gets one next quarter' },
      calls: ['api'],
      cache: 'sessions',
      connectionUrls: { cache: 'KV_URL' },
      secrets: [
        {
          name: 'maps',
          purpose: 'the browser-side maps API key the front end serves',
          howToGet: 'the maps provider console, restricted to clinic.example.org',
          keys: { MAPS_API_KEY: 'the API key' },
        },
      ],
    },
    {
      name: 'api',
      image: 'ghcr.io/clinic/api',
      port: 3000,
      host: 'api.clinic.example.org',
      routes: [{ path: '/api/v1', stripPrefix: true }],
      probes: { liveness: '/healthcheck', readiness: '/healthcheck' },
      security: {
        runAsRoot: 'node:20-slim has no USER; the Dockerfile gets one next quarter',
        writableRootFilesystem: 'npm writes its cache and logs under /root/.npm',
      },
      database: 'clinic',
      cache: 'sessions',
      topics: { produce: ['videos'] },
      calls: ['transcriber', 'summarizer'],
      migrate: { command: ['npm', 'run', 'db:migrate'], workingDir: '/app' },
      envNames: { KAFKA_BROKERS: 'BROKER_URL' },
      connectionUrls: { database: 'DATABASE_URL', cache: 'KV_URL' },
      secrets: [
        { name: 'jwt', purpose: 'signs and verifies session tokens', howToGet: 'generate one: openssl rand -hex 32', keys: { JWT_SECRET: 'the HMAC signing key' } },
        {
          name: 'object-storage',
          purpose: 'uploads and presigned URLs on the S3-compatible storage',
          howToGet: 'an EC2-style credential of the storage project (openstack ec2 credentials create)',
          keys: { S3_ACCESS_KEY_ID: 'the access key', S3_SECRET_ACCESS_KEY: 'the secret key' },
        },
        {
          name: 'smtp',
          purpose: 'appointment mail through the SMTP relay',
          howToGet: 'the mail relay\'s admin page',
          keys: { SMTP_USERNAME: 'the relay user', SMTP_PASSWORD: 'the relay password' },
        },
        {
          name: 'vault',
          purpose: 'AppRole login to the Vault outside the cluster',
          howToGet: 'vault read auth/approle/role/clinic-api/role-id; vault write -f auth/approle/role/clinic-api/secret-id',
          keys: { 'role-id': 'the AppRole role ID', 'secret-id': 'the AppRole secret ID' },
          delivery: { file: '/var/run/secrets/vault' },
        },
      ],
      egress: [
        { to: 'internet', ports: [443], reason: 'S3-compatible object storage: uploads and presigned URLs' },
        { to: 'internet', ports: [587], reason: 'SMTP relay for appointment mail' },
        { to: '203.0.113.10/32', ports: [8200], reason: 'Vault outside the cluster' },
      ],
    },
    {
      name: 'video-worker',
      kind: 'worker',
      image: 'ghcr.io/clinic/video-worker',
      topics: { consume: ['videos'], consumerGroup: 'video-transcoding' },
      envNames: { KAFKA_BROKERS: 'BROKER_URL', KAFKA_CONSUMER_GROUP: 'CONSUMER_GROUP' },
      // No port to probe: the consumer touches /tmp/heartbeat after each poll of Kafka.
      probes: {
        liveness: { exec: ['sh', '-c', 'test $(( $(date +%s) - $(stat -c %Y /tmp/heartbeat) )) -lt 300'], periodSeconds: 60 },
        readiness: { exec: ['test', '-f', '/tmp/heartbeat'] },
      },
      gpu: { count: 1, tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }] },
      resources: { requests: { cpu: '1', memory: '4Gi' }, limits: { cpu: '4', memory: '16Gi' } },
      egress: [{ to: 'internet', ports: [443], reason: 'downloads the source videos from S3-compatible storage' }],
    },
    ...['transcriber', 'summarizer'].map((name) => ({
      name,
      image: `ghcr.io/clinic/${name}`,
      port: 8000,
      // The model loads for minutes: liveness and readiness start once the startup probe has passed.
      probes: { startup: { http: '/health', periodSeconds: 10, failureThreshold: 60 }, liveness: '/health', readiness: '/health' },
      resources: { requests: { cpu: '1', memory: '4Gi' }, limits: { cpu: '2', memory: '8Gi' } },
    })),
  ],
});
