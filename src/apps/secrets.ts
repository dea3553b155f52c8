import type { AppConfig, ClusterConfig } from '../config/schema.ts';
import { formatPath } from '../config/paths.ts';
import { SECRETS_NAMESPACE } from '../core/conventions.ts';
import type { K8sObject, SecretInput } from '../core/types.ts';
import type { ConfigIssue } from '../errors.ts';
import type { AppSecretInput } from '../secrets/options.ts';
import { migrationInputAnnotations, type StageContext } from './context.ts';
import { stageRuns } from '../config/stages.ts';

const RBAC = 'rbac.authorization.k8s.io';

/** The chart's controller ServiceAccount (src/components/external-secrets): its fullname for release `external-secrets`. */
const EXTERNAL_SECRETS_CONTROLLER = 'external-secrets';

/** The reader of an app's inputs in each stage namespace: its ServiceAccount, token Role and SecretStore share the name. */
export const secretReaderName = (app: string): string => `${app}-secrets`;

/** The Secret (and its ExternalSecret) an input becomes in a stage namespace. */
export const appSecretName = (app: string, input: string): string => `${app}-${input}`;

/**
 * The input's name in the plinth-secrets store: `<app>-<input>`, or `<app>-<stage>-<input>` when the input is
 * stage-scoped, so each stage holds its own values.
 */
export const storeInputName = (app: string, input: Pick<AppSecretInput, 'name' | 'stages'>, stage: string): string =>
  input.stages ? `${app}-${stage}-${input.name}` : `${app}-${input.name}`;

/** The inputs an app reads in a stage. */
export const stageInputs = (app: AppConfig, stage: string): AppSecretInput[] =>
  app.secrets.filter((input) => !input.stages || input.stages.includes(stage));

const describeKeys = (keys: AppSecretInput['keys']): SecretInput['keys'] =>
  Object.entries(keys).map(([key, spec]) => ({
    key,
    description: typeof spec === 'string' ? spec : spec.howToGet ? `${spec.description} (how to get it: ${spec.howToGet})` : spec.description,
  }));

/** A declared input as `plinth secrets` sees it, with the part of the config that declares it. */
export interface ConfigSecretInput extends SecretInput {
  declaredBy: string;
}

/** Every input the config declares outside the components: each app's (per stage when stage-scoped) and `secretInputs`. */
export function configSecretInputs(cluster: Pick<ClusterConfig, 'apps' | 'secretInputs' | 'environment'>): ConfigSecretInput[] {
  const inputs: ConfigSecretInput[] = [];
  for (const app of cluster.apps) {
    // In an environment, only the inputs of the stages it runs: another cluster's store holds the others.
    if (!app.stages.some((stage) => stageRuns(cluster, stage))) continue;
    for (const input of app.secrets) {
      for (const stage of (input.stages ?? [undefined]).filter((s) => s === undefined || stageRuns(cluster, s))) {
        inputs.push({
          name: storeInputName(app.name, input, stage ?? ''),
          keys: describeKeys(input.keys),
          purpose: stage ? `${input.purpose} (stage ${stage})` : input.purpose,
          howToGet: input.howToGet,
          declaredBy: `app:${app.name}`,
        });
      }
    }
  }
  for (const input of cluster.secretInputs) {
    inputs.push({ name: input.name, keys: describeKeys(input.keys), purpose: input.purpose, howToGet: input.howToGet, declaredBy: 'secretInputs' });
  }
  return inputs;
}

/** The app's variables from its env-delivered inputs: each key a variable of that name, by reference only. */
export function secretEnv(ctx: Pick<StageContext, 'app' | 'stage'>): { name: string; valueFrom: unknown }[] {
  return stageInputs(ctx.app, ctx.stage)
    .filter((input) => input.delivery === 'env')
    .flatMap((input) =>
      Object.keys(input.keys).map((key) => ({ name: key, valueFrom: { secretKeyRef: { name: appSecretName(ctx.app.name, input.name), key } } })),
    );
}

const fileInputs = (ctx: Pick<StageContext, 'app' | 'stage'>) =>
  stageInputs(ctx.app, ctx.stage).flatMap((input) => (input.delivery === 'env' ? [] : [{ input, path: input.delivery.file }]));

const volumeName = (input: string) => `secret-${input}`;

/** Read-only volumes of the file-delivered inputs: each key a file in the input's directory. */
export const secretVolumes = (ctx: Pick<StageContext, 'app' | 'stage'>): Record<string, unknown>[] =>
  // Readable by any user: the files belong to root (or fsGroup), and the app runs as its image's user, which
  // Plinth does not know; the pod has no other container to hide them from.
  fileInputs(ctx).map(({ input }) => ({ name: volumeName(input.name), secret: { secretName: appSecretName(ctx.app.name, input.name), defaultMode: 0o444 } }));

export const secretVolumeMounts = (ctx: Pick<StageContext, 'app' | 'stage'>): Record<string, unknown>[] =>
  fileInputs(ctx).map(({ input, path }) => ({ name: volumeName(input.name), mountPath: path, readOnly: true }));

/**
 * The objects in a stage namespace that bring the app's inputs from the store: a ServiceAccount (the reader), a Role
 * letting the ESO controller mint that ServiceAccount's token and nothing else, a SecretStore reading the store
 * namespace as the reader (external-secrets kubernetes provider), and one ExternalSecret per input reading exactly its
 * keys. What the reader may read is granted in the store namespace (storeAccessObjects), by name.
 */
export function appSecretObjects(ctx: StageContext): K8sObject[] {
  const { app, stage, namespace } = ctx;
  const inputs = stageInputs(app, stage);
  if (inputs.length === 0) return [];
  const name = secretReaderName(app.name);
  const labels = { 'app.kubernetes.io/name': app.name, 'app.kubernetes.io/component': 'secrets' };
  const annotations = migrationInputAnnotations(app);
  const hook = annotations !== undefined;
  const metadata = (objectName: string) => ({ name: objectName, namespace, labels, ...(annotations && { annotations }) });
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: metadata(name), automountServiceAccountToken: false },
    {
      apiVersion: `${RBAC}/v1`,
      kind: 'Role',
      metadata: metadata(name),
      // The controller's chart RBAC may not mint tokens (rbac.serviceAccountTokenCreate: false): only this one's.
      rules: [{ apiGroups: [''], resources: ['serviceaccounts/token'], resourceNames: [name], verbs: ['create'] }],
    },
    {
      apiVersion: `${RBAC}/v1`,
      kind: 'RoleBinding',
      metadata: metadata(name),
      roleRef: { apiGroup: RBAC, kind: 'Role', name },
      subjects: [{ kind: 'ServiceAccount', name: EXTERNAL_SECRETS_CONTROLLER, namespace: ctx.namespaceOf('external-secrets') }],
    },
    {
      apiVersion: 'external-secrets.io/v1',
      kind: 'SecretStore',
      metadata: metadata(name),
      spec: {
        provider: {
          kubernetes: {
            remoteNamespace: SECRETS_NAMESPACE,
            // Every namespace carries the API server's CA in this ConfigMap. A SecretStore must leave caProvider.namespace
            // empty and reads it from its own namespace (external-secrets providers/v1/kubernetes/validate.go, ValidateStore).
            server: { url: 'https://kubernetes.default.svc', caProvider: { type: 'ConfigMap', name: 'kube-root-ca.crt', key: 'ca.crt' } },
            auth: { serviceAccount: { name } },
          },
        },
      },
    },
    ...inputs.map(
      (input): K8sObject => ({
        apiVersion: 'external-secrets.io/v1',
        kind: 'ExternalSecret',
        metadata: metadata(appSecretName(app.name, input.name)),
        spec: {
          refreshInterval: '1h',
          secretStoreRef: { kind: 'SecretStore', name },
          target: { name: appSecretName(app.name, input.name), creationPolicy: hook ? 'Orphan' : 'Owner' },
          data: Object.keys(input.keys).map((key) => ({ secretKey: key, remoteRef: { key: storeInputName(app.name, input, stage), property: key } })),
        },
      }),
    ),
  ];
}

/**
 * In the store namespace: a Role allowing `get` of exactly the app's inputs for one stage, bound to that stage's
 * reader. No list or watch, so the reader cannot even learn which other inputs exist; the store's own reader keeps
 * its Role (src/components/external-secrets).
 */
export function storeAccessObjects(ctx: Pick<StageContext, 'app' | 'stage' | 'namespace'>): K8sObject[] {
  const { app, stage, namespace } = ctx;
  const inputs = stageInputs(app, stage);
  if (inputs.length === 0) return [];
  const metadata = { name: `app-${app.name}-${stage}`, namespace: SECRETS_NAMESPACE, labels: { 'app.kubernetes.io/name': app.name, 'app.kubernetes.io/component': 'secrets' } };
  return [
    {
      apiVersion: `${RBAC}/v1`,
      kind: 'Role',
      metadata,
      // Enough for the SecretStore to turn Ready: the provider's Validate looks for a SelfSubjectRulesReview rule with
      // `get` on secrets, and does not look at resourceNames (external-secrets providers/v1/kubernetes/validate.go).
      rules: [{ apiGroups: [''], resources: ['secrets'], resourceNames: inputs.map((input) => storeInputName(app.name, input, stage)).sort(), verbs: ['get'] }],
    },
    {
      apiVersion: `${RBAC}/v1`,
      kind: 'RoleBinding',
      metadata,
      roleRef: { apiGroup: RBAC, kind: 'Role', name: metadata.name },
      subjects: [{ kind: 'ServiceAccount', name: secretReaderName(app.name), namespace }],
    },
  ];
}

/** Cross-field checks of the secret inputs, each with its config path. */
export function appSecretIssues(config: Pick<ClusterConfig, 'apps' | 'secretInputs' | 'components'>): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const anyInputs = config.secretInputs.length > 0 || config.apps.some((app) => app.secrets.length > 0);
  if (anyInputs && !('external-secrets' in config.components)) {
    const path = config.secretInputs.length > 0 ? ['secretInputs'] : ['apps', config.apps.findIndex((app) => app.secrets.length > 0), 'secrets'];
    issues.push({
      path: formatPath(path),
      message: 'secret inputs are read from the store by ExternalSecrets, and "external-secrets" is not enabled',
      hint: 'enable it with components: { "external-secrets": {} }',
    });
  }
  const owners = new Map<string, string>();
  config.apps.forEach((app, i) => {
    app.secrets.forEach((input, j) => {
      const at = (...path: (string | number)[]) => formatPath(['apps', i, 'secrets', j, ...path]);
      (input.stages ?? []).forEach((stage, k) => {
        if (!app.stages.includes(stage))
          issues.push({ path: at('stages', k), message: `"${stage}" is not a stage of app "${app.name}"`, hint: `use one of ${app.stages.join(', ')}` });
      });
      if (input.delivery === 'env') {
        for (const key of Object.keys(input.keys)) {
          if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key))
            issues.push({
              path: at('keys', key),
              message: `"${key}" is delivered as an environment variable, and is not a variable name`,
              hint: 'name the key like a variable (JWT_SECRET), or deliver the input as files: delivery: { file: "/etc/<app>/<input>" }',
            });
          if (key in app.env) issues.push({ path: at('keys', key), message: `"${key}" is also set in env`, hint: 'drop one of them' });
        }
      }
      for (const stage of input.stages ?? [undefined]) {
        const name = storeInputName(app.name, input, stage ?? '');
        const owner = owners.get(name);
        if (owner) issues.push({ path: at('name'), message: `its store name "${name}" is also the store name of ${owner}`, hint: 'rename one of the inputs' });
        owners.set(name, `app "${app.name}" input "${input.name}"`);
      }
    });
  });
  config.secretInputs.forEach((input, i) => {
    const owner = owners.get(input.name);
    if (owner) issues.push({ path: formatPath(['secretInputs', i, 'name']), message: `"${input.name}" is also the store name of ${owner}`, hint: 'rename one of the inputs' });
  });
  return issues;
}
