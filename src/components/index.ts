import { argoCd } from './argo-cd/index.ts';
import { barmanCloud } from './barman-cloud/index.ts';
import { certManager } from './cert-manager/index.ts';
import { cloudnativePg } from './cloudnative-pg/index.ts';
import { clusterSecret } from './clustersecret/index.ts';
import { designateWebhook } from './designate-webhook/index.ts';
import { devpod } from './devpod/index.ts';
import { eraser } from './eraser/index.ts';
import { externalDns } from './external-dns/index.ts';
import { externalSecrets } from './external-secrets/index.ts';
import { grafana } from './grafana/index.ts';
import { istio } from './istio/index.ts';
import { kargo } from './kargo/index.ts';
import { keda } from './keda/index.ts';
import { kiali } from './kiali/index.ts';
import { logging } from './logging/index.ts';
import { monitoring } from './monitoring/index.ts';
import { redpanda } from './redpanda/index.ts';
import { runners } from './runners/index.ts';
import { secretGenerator } from './secret-generator/index.ts';
import { sso } from './sso/index.ts';
import { traefik } from './traefik/index.ts';
import { valkey } from './valkey/index.ts';

/** Every component Plinth knows, by id. */
export const registry = {
  'argo-cd': argoCd,
  'barman-cloud': barmanCloud,
  'cert-manager': certManager,
  'cloudnative-pg': cloudnativePg,
  clustersecret: clusterSecret,
  'designate-webhook': designateWebhook,
  devpod,
  eraser,
  'external-dns': externalDns,
  'external-secrets': externalSecrets,
  grafana,
  istio,
  kargo,
  keda,
  kiali,
  logging,
  monitoring,
  redpanda,
  runners,
  'secret-generator': secretGenerator,
  sso,
  traefik,
  valkey,
} as const;

export type DefaultRegistry = typeof registry;
