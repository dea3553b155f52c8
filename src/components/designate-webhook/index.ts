import { z } from 'zod';
import { externalSecret } from '../../core/conventions.ts';
import { defineComponent } from '../../core/types.ts';
import { DESIGNATE_SOLVER } from '../cert-manager/index.ts';
import { DESIGNATE_CREDENTIAL_KEYS, DESIGNATE_CREDENTIALS, designateCredentialsInput } from '../external-dns/index.ts';

/** The chart's fullname for release `designate-certmanager-webhook`: Deployment, Service and ServiceAccount. */
export const WEBHOOK_NAME = 'designate-certmanager-webhook';
/** The Secret the chart loads into the webhook's environment (`credentialsSecret`): plain OS_* variables. */
export const WEBHOOK_CREDENTIALS_SECRET = 'designate-credentials';
/** cert-manager's controller ServiceAccount (release `cert-manager`), which calls the solver API. */
export const CERT_MANAGER_SERVICE_ACCOUNT = 'cert-manager';

const options = z.strictObject({
  /** Webhook pods; cert-manager retries a challenge while the solver is unreachable, so one is usually enough. */
  replicas: z.int().min(1).max(5).default(1),
});

export const designateWebhook = defineComponent({
  id: 'designate-webhook',
  description: "OpenStack Designate DNS01 solver for cert-manager's ClusterIssuers",
  // The chart binds cert-manager's ServiceAccount and expects to live beside it.
  namespace: 'cert-manager',
  needs: ['cert-manager', 'external-secrets'],
  options,
  chart: ({ cluster, options }) => ({
    repoURL: 'https://syseleven.github.io/designate-certmanager-webhook',
    chart: 'designate-certmanager-webhook',
    version: '0.9.2',
    releaseName: WEBHOOK_NAME,
    values: {
      replicaCount: options.replicas,
      certManager: {
        namespace: cluster.components['cert-manager']?.common.namespace ?? 'cert-manager',
        serviceAccountName: CERT_MANAGER_SERVICE_ACCOUNT,
      },
      credentialsSecret: WEBHOOK_CREDENTIALS_SECRET,
    },
  }),
  resources: ({ namespace }) => [
    externalSecret({
      name: WEBHOOK_CREDENTIALS_SECRET,
      namespace,
      keys: DESIGNATE_CREDENTIAL_KEYS.map((key) => ({ secretKey: key, input: DESIGNATE_CREDENTIALS, key })),
    }),
  ],
  secrets: ({ cluster }) => [designateCredentialsInput(cluster)],
  health: ({ namespace }) => [
    { description: 'DNS01 solver', apiVersion: 'apps/v1', kind: 'Deployment', name: WEBHOOK_NAME, namespace },
    {
      description: `solver API ${DESIGNATE_SOLVER.groupName} registered and reachable (CA injected by cert-manager)`,
      apiVersion: 'apiregistration.k8s.io/v1',
      kind: 'APIService',
      name: `v1alpha1.${DESIGNATE_SOLVER.groupName}`,
      blame: 'cert-manager',
    },
    {
      description: 'OpenStack application credential delivered',
      apiVersion: 'external-secrets.io/v1',
      kind: 'ExternalSecret',
      name: WEBHOOK_CREDENTIALS_SECRET,
      namespace,
      blame: 'external-secrets',
    },
  ],
});
