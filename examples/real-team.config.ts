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
