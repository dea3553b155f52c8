import { z } from 'zod';
import { dnsLabel } from '../../config/schema.ts';
import { SECRET_STORE, SECRETS_NAMESPACE } from '../../core/conventions.ts';
import { defineComponent, type K8sObject } from '../../core/types.ts';
import { externalSecretsAlerts, externalSecretsTargets } from './alerts.ts';

/** The chart's controller ServiceAccount: its fullname, for release `external-secrets` of chart `external-secrets`. */
export const CONTROLLER_SERVICE_ACCOUNT = 'external-secrets';
/** The identity the ClusterSecretStore reads the store namespace with; nothing else is granted there. */
export const STORE_SERVICE_ACCOUNT = 'secret-store-reader';
const TOKEN_ISSUER = 'secret-store-token-issuer';

const options = z.strictObject({
  /** Namespaces allowed to use the store; empty means every namespace (components need inputs in their own). */
  namespaces: z.array(dnsLabel).default([]),
});

const rbac = (kind: 'Role' | 'RoleBinding', name: string) => ({
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind,
  metadata: { name, namespace: SECRETS_NAMESPACE },
});

export const externalSecrets = defineComponent({
  id: 'external-secrets',
  description: 'External Secrets Operator: serves the secret inputs in the plinth-secrets namespace to every component',
  namespace: 'external-secrets',
  needs: [],
  options,
  chart: () => ({
    repoURL: 'https://charts.external-secrets.io',
    chart: 'external-secrets',
    version: '2.9.0',
    releaseName: 'external-secrets',
    values: {
      installCRDs: true,
      // Otherwise the controller may mint a token for any ServiceAccount in the cluster; the Role below
      // lets it mint one for the store's reader only.
      rbac: { serviceAccountTokenCreate: false },
    },
  }),
  resources: ({ namespace, options }): K8sObject[] => [
    {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: SECRETS_NAMESPACE,
        labels: { 'pod-security.kubernetes.io/enforce': 'restricted' },
        // The inputs people typed in live here: never prune or delete them with the Application.
        annotations: { 'argocd.argoproj.io/sync-options': 'Prune=false,Delete=false' },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: STORE_SERVICE_ACCOUNT, namespace: SECRETS_NAMESPACE },
      automountServiceAccountToken: false,
    },
    {
      ...rbac('Role', STORE_SERVICE_ACCOUNT),
      // SelfSubjectRulesReview, which the provider uses to validate the store, is granted to every
      // authenticated identity by system:basic-user; a Role cannot grant that cluster-scoped resource anyway.
      rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list', 'watch'] }],
    },
    {
      ...rbac('RoleBinding', STORE_SERVICE_ACCOUNT),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: STORE_SERVICE_ACCOUNT },
      subjects: [{ kind: 'ServiceAccount', name: STORE_SERVICE_ACCOUNT, namespace: SECRETS_NAMESPACE }],
    },
    {
      ...rbac('Role', TOKEN_ISSUER),
      rules: [{ apiGroups: [''], resources: ['serviceaccounts/token'], resourceNames: [STORE_SERVICE_ACCOUNT], verbs: ['create'] }],
    },
    {
      ...rbac('RoleBinding', TOKEN_ISSUER),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: TOKEN_ISSUER },
      subjects: [{ kind: 'ServiceAccount', name: CONTROLLER_SERVICE_ACCOUNT, namespace }],
    },
    {
      apiVersion: 'external-secrets.io/v1',
      kind: 'ClusterSecretStore',
      metadata: { name: SECRET_STORE },
      spec: {
        provider: {
          kubernetes: {
            remoteNamespace: SECRETS_NAMESPACE,
            server: {
              url: 'https://kubernetes.default.svc',
              // Every namespace carries the API server's CA in this ConfigMap.
              caProvider: { type: 'ConfigMap', name: 'kube-root-ca.crt', key: 'ca.crt', namespace: SECRETS_NAMESPACE },
            },
            auth: { serviceAccount: { name: STORE_SERVICE_ACCOUNT, namespace: SECRETS_NAMESPACE } },
          },
        },
        ...(options.namespaces.length > 0 && { conditions: [{ namespaces: options.namespaces }] }),
      },
    },
  ],
  health: ({ namespace }) => [
    { description: 'controller', apiVersion: 'apps/v1', kind: 'Deployment', name: 'external-secrets', namespace },
    { description: 'admission webhook', apiVersion: 'apps/v1', kind: 'Deployment', name: 'external-secrets-webhook', namespace },
    {
      description: 'webhook certificate controller',
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: 'external-secrets-cert-controller',
      namespace,
    },
    {
      description: `store reading the ${SECRETS_NAMESPACE} namespace (Ready)`,
      apiVersion: 'external-secrets.io/v1',
      kind: 'ClusterSecretStore',
      name: SECRET_STORE,
    },
  ],
  alerts: externalSecretsAlerts,
  scrapeTargets: externalSecretsTargets,
});
