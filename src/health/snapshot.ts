import type { K8sObject } from '../core/types.ts';
import { pool } from '../core/pool.ts';
import { KubeError, type LiveCluster } from '../kube/client.ts';
import { kindKey } from './assess.ts';

export interface KindRef {
  apiVersion: string;
  kind: string;
  /** Metadata only (existence), for kinds whose content must never be read: Secrets. */
  metadataOnly?: boolean;
  /** Only these objects, by field selector: Warning events. */
  fieldSelector?: string;
}

export interface WarningEvent {
  reason: string;
  message: string;
  count: number;
  last?: string;
}

/**
 * Every object doctor looks at, listed once per kind across the cluster and indexed by name, so the
 * number of requests does not grow with the number of objects.
 */
export interface Snapshot {
  now: Date;
  /** true: served; false: the cluster serves no such kind (CRD missing); undefined: not asked. */
  served(apiVersion: string, kind: string): boolean | undefined;
  list(apiVersion: string, kind: string): K8sObject[];
  get(apiVersion: string, kind: string, name: string, namespace?: string): K8sObject | undefined;
  /** Warning events about an object, newest first. */
  events(kind: string, name: string, namespace?: string): WarningEvent[];
  /** Kinds that could not be listed for another reason than not being served (e.g. forbidden). */
  errors: Map<string, string>;
}

const objectKey = (name: string, namespace?: string) => `${namespace ?? ''}/${name}`;

interface Parts {
  now: Date;
  objects: K8sObject[];
  served: Map<string, boolean>;
  errors?: Map<string, string>;
}

function build({ now, objects, served, errors = new Map() }: Parts): Snapshot {
  const byKind = new Map<string, Map<string, K8sObject>>();
  const events = new Map<string, WarningEvent[]>();
  for (const object of objects) {
    if (object.kind === 'Event' && object.apiVersion === 'v1') {
      const involved = (object as { involvedObject?: { kind?: string; name?: string; namespace?: string } }).involvedObject ?? {};
      const key = `${involved.kind}/${objectKey(involved.name ?? '', involved.namespace)}`;
      const e = object as { reason?: string; message?: string; count?: number; lastTimestamp?: string; eventTime?: string };
      if (!events.has(key)) events.set(key, []);
      events.get(key)!.push({ reason: e.reason ?? '', message: (e.message ?? '').trim(), count: e.count ?? 1, last: e.lastTimestamp ?? e.eventTime });
      continue;
    }
    const key = kindKey(object.apiVersion, object.kind);
    if (!byKind.has(key)) byKind.set(key, new Map());
    byKind.get(key)!.set(objectKey(object.metadata.name, object.metadata.namespace), object);
  }
  for (const list of events.values()) list.sort((a, b) => (b.last ?? '').localeCompare(a.last ?? ''));
  return {
    now,
    errors,
    served: (apiVersion, kind) => served.get(kindKey(apiVersion, kind)),
    list: (apiVersion, kind) => [...(byKind.get(kindKey(apiVersion, kind))?.values() ?? [])],
    get: (apiVersion, kind, name, namespace) => byKind.get(kindKey(apiVersion, kind))?.get(objectKey(name, namespace)),
    events: (kind, name, namespace) => events.get(`${kind}/${objectKey(name, namespace)}`) ?? [],
  };
}

/** A snapshot of given objects: for tests and for reasoning about a render without a cluster. */
export function snapshotOf(objects: K8sObject[], options: { now?: Date; notServed?: KindRef[]; unreadable?: Map<string, string> } = {}): Snapshot {
  const served = new Map<string, boolean>();
  for (const object of objects) served.set(kindKey(object.apiVersion, object.kind), true);
  for (const ref of options.notServed ?? []) served.set(kindKey(ref.apiVersion, ref.kind), false);
  return build({ now: options.now ?? new Date(), objects, served, errors: options.unreadable });
}

const CONCURRENCY = 8;

/**
 * Lists each kind once, cluster-wide, a few at a time. `probe` kinds are only checked for being served
 * (discovery, one request per API group version), not listed.
 */
export async function takeSnapshot(cluster: LiveCluster, kinds: KindRef[], probe: KindRef[] = [], now = new Date()): Promise<Snapshot> {
  const served = new Map<string, boolean>();
  const errors = new Map<string, string>();
  const objects: K8sObject[] = [];
  const unique = <T extends KindRef>(refs: T[]) => [...new Map(refs.map((r) => [kindKey(r.apiVersion, r.kind), r])).values()];
  const jobs: (() => Promise<void>)[] = [
    ...unique(kinds).map((ref) => async () => {
      try {
        const items = ref.metadataOnly
          ? await cluster.listMetadata(ref.apiVersion, ref.kind)
          : await cluster.list(ref.apiVersion, ref.kind, ref.fieldSelector ? { fieldSelector: ref.fieldSelector } : {});
        objects.push(...items);
        served.set(kindKey(ref.apiVersion, ref.kind), true);
      } catch (error) {
        if (error instanceof KubeError && error.status === 404) served.set(kindKey(ref.apiVersion, ref.kind), false);
        else errors.set(kindKey(ref.apiVersion, ref.kind), (error as Error).message);
      }
    }),
    ...unique(probe)
      .filter((ref) => !kinds.some((k) => kindKey(k.apiVersion, k.kind) === kindKey(ref.apiVersion, ref.kind)))
      .map((ref) => async () => {
        try {
          await cluster.isNamespaced(ref.apiVersion, ref.kind);
          served.set(kindKey(ref.apiVersion, ref.kind), true);
        } catch (error) {
          if (error instanceof KubeError && error.status === 404) served.set(kindKey(ref.apiVersion, ref.kind), false);
          else errors.set(kindKey(ref.apiVersion, ref.kind), (error as Error).message);
        }
      }),
  ];
  await pool(jobs, CONCURRENCY, (job) => job());
  return build({ now, objects, served, errors });
}
