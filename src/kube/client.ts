import type { KubernetesObjectApi } from '@kubernetes/client-node';
import { PlinthError } from '../errors.ts';
import type { K8sObject } from '../core/types.ts';

export const FIELD_MANAGER = 'plinth';

/** An HTTP failure from the API server, with what a person needs to act on it. */
export class KubeError extends PlinthError {
  readonly status: number;
  readonly reason: string | undefined;
  readonly details: string;
  constructor(status: number, message: string, reason?: string, details = '') {
    super(message);
    this.status = status;
    this.reason = reason;
    this.details = details;
  }
}

/** Errors worth retrying: the server is busy, restarting or briefly unreachable. */
export function isTransient(error: unknown): boolean {
  if (error instanceof KubeError) return error.status === 429 || error.status >= 500 || error.status === 0;
  return false;
}

/** The few operations Plinth needs from a live cluster; the only module that imports the Kubernetes client. */
export interface LiveCluster {
  server: string;
  /** Server-side apply with field manager `plinth`, taking ownership of conflicting fields. */
  apply(object: K8sObject, options?: { dryRun?: boolean }): Promise<K8sObject>;
  get(ref: ObjectRef): Promise<K8sObject | undefined>;
  list(apiVersion: string, kind: string, options?: { namespace?: string; labelSelector?: string }): Promise<K8sObject[]>;
  delete(ref: ObjectRef): Promise<void>;
  isNamespaced(apiVersion: string, kind: string): Promise<boolean>;
}

export interface ObjectRef {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
}

export interface ConnectOptions {
  /** Path of a kubeconfig; default: $KUBECONFIG or ~/.kube/config. */
  kubeconfig?: string;
  context?: string;
}

function toKubeError(error: unknown, what: string): never {
  const e = error as { code?: number; body?: unknown; message?: string; cause?: { code?: string } };
  if (typeof e.code === 'number') {
    let body: { message?: string; reason?: string; details?: unknown } = {};
    try {
      body = typeof e.body === 'string' ? JSON.parse(e.body) : ((e.body as typeof body) ?? {});
    } catch {
      body = { message: String(e.body) };
    }
    throw new KubeError(e.code, `${what}: ${body.message ?? e.message ?? `HTTP ${e.code}`}`, body.reason, JSON.stringify(body.details ?? ''));
  }
  const cause = e.cause?.code ?? (error as NodeJS.ErrnoException).code;
  throw new KubeError(0, `${what}: ${cause ? `${cause} ` : ''}${e.message ?? String(error)}`);
}

export async function connect(options: ConnectOptions = {}): Promise<LiveCluster> {
  // Loaded here, not at the top: the client takes most of a second to import, and only live commands need it.
  const k8s = await import('@kubernetes/client-node');
  const kc = new k8s.KubeConfig();
  try {
    if (options.kubeconfig) kc.loadFromFile(options.kubeconfig);
    else kc.loadFromDefault();
    if (options.context) kc.setCurrentContext(options.context);
  } catch (error) {
    throw new PlinthError(`cannot read the kubeconfig: ${(error as Error).message}`, 'pass --kubeconfig FILE or set KUBECONFIG');
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new PlinthError('the kubeconfig names no current cluster', 'pass --context NAME or fix the kubeconfig');
  const api: KubernetesObjectApi = k8s.KubernetesObjectApi.makeApiClient(kc);
  const name = (ref: ObjectRef) => `${ref.kind}/${ref.metadata.namespace ? `${ref.metadata.namespace}/` : ''}${ref.metadata.name}`;
  const header = (ref: ObjectRef) => ({
    apiVersion: ref.apiVersion,
    kind: ref.kind,
    metadata: { name: ref.metadata.name, ...(ref.metadata.namespace && { namespace: ref.metadata.namespace }) },
  });

  return {
    server: cluster.server,
    async apply(object, { dryRun = false } = {}) {
      try {
        return (await api.patch(
          object,
          undefined,
          dryRun ? 'All' : undefined,
          FIELD_MANAGER,
          true,
          k8s.PatchStrategy.ServerSideApply,
        )) as K8sObject;
      } catch (error) {
        toKubeError(error, `apply ${name(object)}`);
      }
    },
    async get(ref) {
      try {
        return (await api.read(header(ref))) as K8sObject;
      } catch (error) {
        if ((error as { code?: number }).code === 404) return undefined;
        toKubeError(error, `get ${name(ref)}`);
      }
    },
    async list(apiVersion, kind, { namespace, labelSelector } = {}) {
      const items: K8sObject[] = [];
      let continueToken: string | undefined;
      try {
        do {
          const page = await api.list(apiVersion, kind, namespace, undefined, undefined, undefined, undefined, labelSelector, 500, continueToken);
          for (const item of page.items) items.push({ ...item, apiVersion, kind } as K8sObject);
          continueToken = page.metadata?._continue || undefined;
        } while (continueToken);
      } catch (error) {
        toKubeError(error, `list ${kind}`);
      }
      return items;
    },
    async delete(ref) {
      try {
        await api.delete(header(ref), undefined, undefined, undefined, undefined, 'Background');
      } catch (error) {
        if ((error as { code?: number }).code === 404) return;
        toKubeError(error, `delete ${name(ref)}`);
      }
    },
    async isNamespaced(apiVersion, kind) {
      try {
        // Discovery is protected in the client's typings but is exactly what decides the URL of a kind.
        const resource = await (api as unknown as { resource(a: string, k: string): Promise<{ namespaced: boolean } | undefined> }).resource(apiVersion, kind);
        if (!resource) throw new KubeError(404, `the cluster serves no ${kind} in ${apiVersion}`, 'NotFound');
        return resource.namespaced;
      } catch (error) {
        if (error instanceof KubeError) throw error;
        toKubeError(error, `discover ${apiVersion} ${kind}`);
      }
    },
  };
}
