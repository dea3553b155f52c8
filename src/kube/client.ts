import { request, type RequestOptions } from 'node:https';
import { PlinthError } from '../errors.ts';
import type { K8sObject } from '../core/types.ts';

export const FIELD_MANAGER = 'plinth';

/** An HTTP failure from the API server, with what a person needs to act on it. */
export class KubeError extends PlinthError {
  readonly status: number;
  readonly reason: string | undefined;
  constructor(status: number, message: string, reason?: string) {
    super(message);
    this.status = status;
    this.reason = reason;
  }
}

/** Errors worth retrying: the server is busy, restarting or briefly unreachable (status 0). */
export function isTransient(error: unknown): boolean {
  return error instanceof KubeError && (error.status === 429 || error.status >= 500 || error.status === 0);
}

/** The few operations Plinth needs from a live cluster; the only module that talks to one. */
export interface LiveCluster {
  server: string;
  /** Server-side apply with field manager `plinth`, taking ownership of conflicting fields. */
  apply(object: K8sObject, options?: { dryRun?: boolean }): Promise<K8sObject>;
  get(ref: ObjectRef): Promise<K8sObject | undefined>;
  list(apiVersion: string, kind: string, options?: { namespace?: string; labelSelector?: string; fieldSelector?: string }): Promise<K8sObject[]>;
  delete(ref: ObjectRef): Promise<void>;
  /** Creates an object (POST); for kinds that are requests rather than state, such as SubjectAccessReview. */
  create(object: K8sObject): Promise<K8sObject>;
  /**
   * JSON merge patch (RFC 7386) of the given fields only; undefined when the object does not exist.
   * Unlike apply, it leaves every field it does not name alone, whoever set it.
   */
  mergePatch(ref: ObjectRef, patch: Record<string, unknown>): Promise<K8sObject | undefined>;
  isNamespaced(apiVersion: string, kind: string): Promise<boolean>;
  /** Whether the cluster serves a kind, from discovery (one request per group version, cached): false when its CRD is not installed. */
  serves(apiVersion: string, kind: string): Promise<boolean>;
  /** POST to a subresource of an object, e.g. a ServiceAccount's `token` (TokenRequest). */
  createSubresource(ref: ObjectRef, subresource: string, body: unknown): Promise<Record<string, unknown>>;
  /** The cluster's CA bundle as the kubeconfig gives it (PEM), for kubeconfigs handed to others. */
  certificateAuthority(): string | undefined;
  /**
   * Lists objects as metadata only (PartialObjectMetadataList): for existence checks on kinds whose
   * content must not be read, such as Secrets.
   */
  listMetadata(apiVersion: string, kind: string, options?: { namespace?: string }): Promise<K8sObject[]>;
  /** JSON merge patch of the `status` subresource, as a controller writes status. */
  mergePatchStatus(ref: ObjectRef, patch: Record<string, unknown>): Promise<K8sObject | undefined>;
  /** HTTP requests sent so far, discovery included: for tests and benchmarks that bound them. */
  requestCount(): number;
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

interface Resource {
  name: string;
  namespaced: boolean;
}

const describe = (ref: ObjectRef) => `${ref.kind}/${ref.metadata.namespace ? `${ref.metadata.namespace}/` : ''}${ref.metadata.name}`;

/**
 * Opens a cluster from a kubeconfig. The Kubernetes client library reads the kubeconfig and its
 * credentials; requests go out as plain JSON, because the library's typed serializer silently drops
 * fields it has no model for (such as `x-kubernetes-int-or-string` in a CRD), and apply must send
 * exactly what was rendered.
 */
export async function connect(options: ConnectOptions = {}): Promise<LiveCluster> {
  // Loaded here, not at the top: the client takes most of a second to import, and only live commands need it.
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  try {
    if (options.kubeconfig) kc.loadFromFile(options.kubeconfig);
    else kc.loadFromDefault();
    if (options.context) kc.setCurrentContext(options.context);
  } catch (error) {
    throw new PlinthError(`cannot read the kubeconfig: ${(error as Error).message}`, 'pass --kubeconfig FILE or set KUBECONFIG');
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new PlinthError('the kubeconfig names no current cluster', 'pass --context NAME or fix the kubeconfig');
  const base = new URL(cluster.server);
  const tls: RequestOptions = {};
  await kc.applyToHTTPSOptions(tls);
  const { agent: _agent, ...connection } = tls;

  let requests = 0;
  const send = (
    method: string,
    path: string,
    body?: unknown,
    contentType = 'application/json',
    accept = 'application/json',
  ): Promise<{ status: number; body: unknown }> =>
    new Promise((resolve, reject) => {
      requests++;
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = request(
        {
          ...connection,
          protocol: base.protocol,
          hostname: base.hostname,
          port: base.port,
          path: `${base.pathname.replace(/\/$/, '')}${path}`,
          method,
          headers: {
            ...(connection.headers as Record<string, string>),
            Accept: accept,
            ...(payload !== undefined && { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(payload) }),
          },
          timeout: 20_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown = text;
            try {
              parsed = text ? JSON.parse(text) : undefined;
            } catch {
              // not JSON: keep the text for the error message
            }
            resolve({ status: res.statusCode ?? 0, body: parsed });
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error('request timed out')));
      req.on('error', (error: NodeJS.ErrnoException) => reject(new KubeError(0, `${method} ${path}: ${error.code ?? ''} ${error.message}`.trim())));
      if (payload !== undefined) req.write(payload);
      req.end();
    });

  const failure = (what: string, response: { status: number; body: unknown }) => {
    const status = response.body as { message?: string; reason?: string } | string | undefined;
    const message = typeof status === 'object' ? status?.message : status;
    return new KubeError(response.status, `${what}: ${message || `HTTP ${response.status}`}`, typeof status === 'object' ? status?.reason : undefined);
  };
  const call = async (what: string, method: string, path: string, body?: unknown, contentType?: string, accept?: string) => {
    const response = await send(method, path, body, contentType, accept);
    if (response.status >= 200 && response.status < 300) return response;
    throw failure(what, response);
  };

  // Promises, so that concurrent lookups of one group version share a single discovery request.
  const discovery = new Map<string, Promise<Map<string, Resource>>>();
  const discover = async (apiVersion: string): Promise<Map<string, Resource>> => {
    const path = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    const response = await send('GET', path);
    const kinds = new Map<string, Resource>();
    if (response.status === 200) {
      for (const r of (response.body as { resources: { name: string; kind: string; namespaced: boolean }[] }).resources) {
        if (!r.name.includes('/')) kinds.set(r.kind, { name: r.name, namespaced: r.namespaced });
      }
    } else if (response.status !== 404) {
      throw new KubeError(response.status, `discover ${apiVersion}: HTTP ${response.status}`);
    }
    return kinds;
  };
  const discovered = (apiVersion: string, fresh = false): Promise<Map<string, Resource>> => {
    if (fresh || !discovery.has(apiVersion)) {
      const pending = discover(apiVersion);
      discovery.set(apiVersion, pending);
      pending.catch(() => {
        if (discovery.get(apiVersion) === pending) discovery.delete(apiVersion);
      });
    }
    return discovery.get(apiVersion)!;
  };
  const resource = async (apiVersion: string, kind: string): Promise<Resource> => {
    // A kind not found is looked up once more, fresh: its CRD may have been created since.
    for (const fresh of [false, true]) {
      const found = (await discovered(apiVersion, fresh)).get(kind);
      if (found) return found;
    }
    throw new KubeError(404, `the cluster serves no ${kind} in ${apiVersion} (its CRD is not installed)`, 'NotFound');
  };

  const collectionPath = async (apiVersion: string, kind: string, namespace?: string) => {
    const r = await resource(apiVersion, kind);
    const prefix = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    return r.namespaced && namespace ? `${prefix}/namespaces/${encodeURIComponent(namespace)}/${r.name}` : `${prefix}/${r.name}`;
  };
  const objectPath = async (ref: ObjectRef) => {
    const r = await resource(ref.apiVersion, ref.kind);
    if (r.namespaced && !ref.metadata.namespace)
      throw new PlinthError(`${describe(ref)} is namespaced but names no namespace`, 'set metadata.namespace on the object');
    return `${await collectionPath(ref.apiVersion, ref.kind, r.namespaced ? ref.metadata.namespace : undefined)}/${encodeURIComponent(ref.metadata.name)}`;
  };

  return {
    server: cluster.server,
    async apply(object, { dryRun = false } = {}) {
      const query = `?fieldManager=${FIELD_MANAGER}&force=true${dryRun ? '&dryRun=All' : ''}`;
      const response = await call(`apply ${describe(object)}`, 'PATCH', `${await objectPath(object)}${query}`, object, 'application/apply-patch+yaml');
      return response.body as K8sObject;
    },
    async get(ref) {
      const response = await send('GET', await objectPath(ref));
      if (response.status === 404) return undefined;
      if (response.status !== 200) throw failure(`get ${describe(ref)}`, response);
      return response.body as K8sObject;
    },
    async list(apiVersion, kind, { namespace, labelSelector, fieldSelector } = {}) {
      const items: K8sObject[] = [];
      let continueToken = '';
      do {
        const query = new URLSearchParams({
          limit: '500',
          ...(labelSelector && { labelSelector }),
          ...(fieldSelector && { fieldSelector }),
          ...(continueToken && { continue: continueToken }),
        });
        const response = await call(`list ${kind}`, 'GET', `${await collectionPath(apiVersion, kind, namespace)}?${query}`);
        const page = response.body as { items: K8sObject[]; metadata?: { continue?: string } };
        for (const item of page.items) items.push({ ...item, apiVersion, kind });
        continueToken = page.metadata?.continue ?? '';
      } while (continueToken);
      return items;
    },
    async delete(ref) {
      const response = await send('DELETE', await objectPath(ref), { propagationPolicy: 'Background' });
      if (response.status === 404) return;
      if (response.status >= 300) throw failure(`delete ${describe(ref)}`, response);
    },
    async create(object) {
      const response = await call(
        `create ${describe(object)}`,
        'POST',
        `${await collectionPath(object.apiVersion, object.kind, object.metadata.namespace)}?fieldManager=${FIELD_MANAGER}`,
        object,
      );
      return response.body as K8sObject;
    },
    async mergePatch(ref, patch) {
      const response = await send('PATCH', `${await objectPath(ref)}?fieldManager=${FIELD_MANAGER}`, patch, 'application/merge-patch+json');
      if (response.status === 404) return undefined;
      if (response.status >= 300) throw failure(`patch ${describe(ref)}`, response);
      return response.body as K8sObject;
    },
    async isNamespaced(apiVersion, kind) {
      return (await resource(apiVersion, kind)).namespaced;
    },
    async serves(apiVersion, kind) {
      return (await discovered(apiVersion)).has(kind);
    },
    async createSubresource(ref, subresource, body) {
      const response = await call(`${subresource} of ${describe(ref)}`, 'POST', `${await objectPath(ref)}/${subresource}`, body);
      return response.body as Record<string, unknown>;
    },
    async listMetadata(apiVersion, kind, { namespace } = {}) {
      const items: K8sObject[] = [];
      let continueToken = '';
      do {
        const query = new URLSearchParams({ limit: '500', ...(continueToken && { continue: continueToken }) });
        const response = await call(
          `list ${kind} metadata`,
          'GET',
          `${await collectionPath(apiVersion, kind, namespace)}?${query}`,
          undefined,
          undefined,
          'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1',
        );
        const page = response.body as { items: { metadata: K8sObject['metadata'] }[]; metadata?: { continue?: string } };
        for (const item of page.items) items.push({ apiVersion, kind, metadata: item.metadata });
        continueToken = page.metadata?.continue ?? '';
      } while (continueToken);
      return items;
    },
    async mergePatchStatus(ref, patch) {
      const response = await send('PATCH', `${await objectPath(ref)}/status`, patch, 'application/merge-patch+json');
      if (response.status === 404) return undefined;
      if (response.status >= 300) throw failure(`patch status of ${describe(ref)}`, response);
      return response.body as K8sObject;
    },
    requestCount() {
      return requests;
    },
    certificateAuthority() {
      const ca = tls.ca;
      if (ca === undefined) return undefined;
      return Buffer.isBuffer(ca) ? ca.toString('utf8') : Array.isArray(ca) ? ca.map(String).join('\n') : String(ca);
    },
  };
}
