/** Names every component agrees on, so cross-references line up without configuration. */
import type { ClusterConfig } from '../config/schema.ts';

/** The ClusterSecretStore that serves the secret inputs `plinth secrets` puts in the store namespace. */
export const SECRET_STORE = 'plinth-secrets';
export const SECRETS_NAMESPACE = 'plinth-secrets';

export const DEFAULT_INGRESS_CLASS = 'traefik';
export const DEFAULT_CLUSTER_ISSUER = 'letsencrypt-prod';
/** The ClusterIssuer of cert-manager's `issuer: 'local-ca'`: a CA made in the cluster, for clusters no public CA can reach. */
export const LOCAL_CA_ISSUER = 'plinth-local-ca';

/**
 * Whether the cluster's certificates come from its own CA (cert-manager `issuer: 'local-ca'`): a laptop or lab cluster,
 * whose hosts no public DNS publishes (names such as *.localtest.me resolve to 127.0.0.1 by themselves).
 */
export const usesLocalCa = (cluster: Pick<ClusterConfig, 'components'>): boolean =>
  (cluster.components['cert-manager']?.options as { issuer?: string } | undefined)?.issuer === 'local-ca';

/** The ClusterIssuer a public Ingress names unless its component says otherwise: the one cert-manager's `issuer` renders. */
export function defaultClusterIssuer(cluster: Pick<ClusterConfig, 'components'>): string {
  return usesLocalCa(cluster) ? LOCAL_CA_ISSUER : DEFAULT_CLUSTER_ISSUER;
}

/** What external-dns publishes: every public host is named by this annotation, wherever a component renders it. */
export const HOSTNAME_ANNOTATION = 'external-dns.alpha.kubernetes.io/hostname';

/** The annotations of the seed's example Ingress: DNS record, HTTPS entrypoint and certificate. */
export function publicIngressAnnotations(host: string, clusterIssuer = DEFAULT_CLUSTER_ISSUER): Record<string, string> {
  return {
    [HOSTNAME_ANNOTATION]: host,
    'traefik.ingress.kubernetes.io/router.entrypoints': 'websecure',
    'cert-manager.io/cluster-issuer': clusterIssuer,
  };
}

export interface SecretKeyRef {
  /** Key in the Secret the ExternalSecret creates. */
  secretKey: string;
  /** Name of the secret input in the store namespace, as the component declares it. */
  input: string;
  /** Key within that input. */
  key: string;
}

/**
 * An ExternalSecret that copies declared secret inputs from Plinth's store into a Secret where they are
 * used: the only way a component receives a secret it cannot generate.
 */
export function externalSecret(input: {
  name: string;
  namespace: string;
  keys: SecretKeyRef[];
  /** Labels and derived data for the created Secret (External Secrets template, Go template syntax). */
  template?: { labels?: Record<string, string>; data?: Record<string, string> };
}) {
  return {
    apiVersion: 'external-secrets.io/v1',
    kind: 'ExternalSecret',
    metadata: { name: input.name, namespace: input.namespace },
    spec: {
      refreshInterval: '1h',
      secretStoreRef: { kind: 'ClusterSecretStore', name: SECRET_STORE },
      target: {
        name: input.name,
        creationPolicy: 'Owner',
        ...(input.template && {
          template: {
            ...(input.template.labels && { metadata: { labels: input.template.labels } }),
            ...(input.template.data && { data: input.template.data }),
          },
        }),
      },
      data: input.keys.map((k) => ({ secretKey: k.secretKey, remoteRef: { key: k.input, property: k.key } })),
    },
  };
}

/**
 * A password generated inside the cluster by kubernetes-secret-generator: the value exists only there,
 * and survives re-syncs (the generator never regenerates an existing field unless forced).
 */
export function generatedSecret(input: {
  name: string;
  namespace: string;
  /** Fields to generate, with their length. */
  generate: Record<string, number>;
  /** Fixed, non-secret fields stored beside them (usernames, hosts). */
  data?: Record<string, string>;
  type?: string;
}) {
  return {
    apiVersion: 'secretgenerator.mittwald.de/v1alpha1',
    kind: 'StringSecret',
    metadata: { name: input.name, namespace: input.namespace },
    spec: {
      forceRegenerate: false,
      ...(input.type && { type: input.type }),
      ...(input.data && { data: input.data }),
      fields: Object.entries(input.generate).map(([fieldName, length]) => ({
        fieldName,
        // URL-safe (A-Z a-z 0-9 - _), so a password fits a connection URL unescaped. mittwald/kubernetes-secret-generator
        // v3.4.1 pkg/controller/secret/secret_string.go GenerateRandomString: "base64url" is base64.URLEncoding.
        encoding: 'base64url',
        length: String(length),
      })),
    },
  };
}

/** Namespace of the PostgreSQL clusters (the operator runs in its own). */
export const DATABASES_NAMESPACE = 'databases';

/**
 * The credentials of a declared database: a basic-auth Secret (`username`, `password`) generated in the
 * databases namespace, used by CloudNativePG for the owner role and replicated by ClusterSecret to the
 * namespaces of the apps that use the database.
 */
export const databaseSecretName = (database: string): string => `pg-${database}`;

/** Apps run in one namespace per promotion stage, shared by every app of that stage. */
export const stageNamespace = (stage: string): string => stage;
