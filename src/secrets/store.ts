import { SECRETS_NAMESPACE } from '../core/conventions.ts';
import type { K8sObject } from '../core/types.ts';
import { PlinthError } from '../errors.ts';
import { KubeError, type LiveCluster, type ObjectRef } from '../kube/client.ts';

/**
 * Marks a Secret in the store namespace as a secret input Plinth wrote; its value is the input's name.
 * Not `app.kubernetes.io/managed-by: plinth`: prune deletes what carries that and is not rendered.
 */
export const INPUT_LABEL = 'plinth.dev/secret-input';

/** Values of the inputs in the store, by input name and key, as bytes (a Secret may hold binary data). Held in memory only. */
export type StoreContents = Map<string, Map<string, Buffer>>;

const secretRef = (name: string): ObjectRef => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: SECRETS_NAMESPACE } });

/** Whether a Secret in the store namespace can be an input: the kind External Secrets' kubernetes provider reads. */
const isInputSecret = (secret: K8sObject) => secret.type === undefined || secret.type === 'Opaque';

/** Every Opaque Secret in the store namespace, decoded; an absent namespace is an empty store. */
export async function readStore(cluster: LiveCluster): Promise<StoreContents> {
  const contents: StoreContents = new Map();
  const namespace = await cluster.get({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: SECRETS_NAMESPACE } });
  if (!namespace) return contents;
  for (const secret of await cluster.list('v1', 'Secret', { namespace: SECRETS_NAMESPACE })) {
    if (!isInputSecret(secret)) continue;
    const data = (secret.data ?? {}) as Record<string, string>;
    contents.set(secret.metadata.name, new Map(Object.entries(data).map(([key, value]) => [key, Buffer.from(value, 'base64')])));
  }
  return contents;
}

/** Creates the store namespace as the render has it (locked down, never pruned), if it is missing. */
export async function ensureStoreNamespace(cluster: LiveCluster, rendered: K8sObject | undefined): Promise<boolean> {
  const ref = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: SECRETS_NAMESPACE } };
  if (await cluster.get(ref)) return false;
  await cluster.apply(
    rendered ?? { ...ref, metadata: { ...ref.metadata, labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } } },
  );
  return true;
}

/**
 * Writes the given keys of one input and leaves its other keys alone: a JSON merge patch of `data`, or a
 * create when the Secret is new. Server-side apply would not do: a second apply by the same field manager
 * without the first key would delete it.
 */
export async function writeInput(cluster: LiveCluster, name: string, values: Map<string, string | Buffer>): Promise<'created' | 'updated'> {
  const data = Object.fromEntries([...values].map(([key, value]) => [key, Buffer.from(value).toString('base64')]));
  const labels = { [INPUT_LABEL]: name };
  return redacted([...values.values()].map((v) => v.toString()), async () => {
    for (let attempt = 0; ; attempt++) {
      if (await cluster.mergePatch(secretRef(name), { metadata: { labels }, data })) return 'updated';
      try {
        await cluster.create({ ...secretRef(name), metadata: { ...secretRef(name).metadata, labels }, type: 'Opaque', data });
        return 'created';
      } catch (error) {
        // Created by someone else in between: patch it instead.
        if (!(error instanceof KubeError && error.status === 409) || attempt > 0) throw error;
      }
    }
  });
}

/**
 * Runs a cluster call whose request carries secret values, and takes any of them out of an error's
 * message: the API server's messages name keys, not values, but a proxy or a future version might echo more.
 */
export async function redacted<T>(values: Iterable<string>, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw redactError(error, values);
  }
}

export function redactError(error: unknown, values: Iterable<string>): unknown {
  const secrets = [...values].filter((v) => v.length > 0).flatMap((v) => [v, Buffer.from(v, 'utf8').toString('base64')]);
  const clean = (text: string) => secrets.reduce((t, s) => t.split(s).join('[redacted]'), text);
  if (error instanceof KubeError) return new KubeError(error.status, clean(error.message), error.reason);
  if (error instanceof PlinthError) return new PlinthError(clean(error.message), error.hint && clean(error.hint));
  if (error instanceof Error) return new Error(clean(error.message));
  return new Error(clean(String(error)));
}
