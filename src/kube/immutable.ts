import { quantityValue } from '../config/schema.ts';
import type { K8sObject } from '../core/types.ts';

export interface ImmutableChange {
  field: string;
  explanation: string;
  /** What a person has to do by hand before the change can go through. */
  manualStep: string;
}

const get = (object: unknown, path: string[]): unknown =>
  path.reduce<unknown>((value, key) => (value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined), object);

/** What the cluster says about a StorageClass (storage.k8s.io/v1 StorageClass, allowVolumeExpansion). */
export interface StorageClassFacts {
  name: string;
  allowVolumeExpansion: boolean;
  /** Annotated `storageclass.kubernetes.io/is-default-class: "true"`: the class of a claim that names none. */
  isDefault: boolean;
  /** metadata.creationTimestamp: of several default classes, the newest is the one a claim gets. */
  created: string;
}

/** The facts of the cluster's StorageClasses, from their objects. */
export function storageClassFacts(classes: readonly K8sObject[]): StorageClassFacts[] {
  return classes.map((c) => ({
    name: c.metadata.name,
    allowVolumeExpansion: (c as { allowVolumeExpansion?: unknown }).allowVolumeExpansion === true,
    isDefault: c.metadata.annotations?.['storageclass.kubernetes.io/is-default-class'] === 'true',
    created: String((c.metadata as { creationTimestamp?: unknown }).creationTimestamp ?? ''),
  }));
}

/**
 * The class a claim that names none gets: the default one, the newest when several are marked default
 * (k8s.io/kubernetes pkg/volume/util/storageclass.go GetDefaultClass, since Kubernetes 1.26).
 */
function defaultClass(classes: readonly StorageClassFacts[]): StorageClassFacts | undefined {
  return classes.filter((c) => c.isDefault).sort((a, b) => (a.created < b.created ? 1 : a.created > b.created ? -1 : a.name < b.name ? -1 : 1))[0];
}

/** Whether a Cluster's volume grows in `desired` compared to `live`: only then are the StorageClasses needed. */
export function growsVolumes(live: K8sObject, desired: K8sObject): boolean {
  if (desired.apiVersion !== 'postgresql.cnpg.io/v1' || desired.kind !== 'Cluster') return false;
  return ['storage', 'walStorage'].some((volume) => {
    const before = get(live, ['spec', volume, 'size']);
    const after = get(desired, ['spec', volume, 'size']);
    return typeof before === 'string' && typeof after === 'string' && quantityValue(after) > quantityValue(before);
  });
}

/**
 * Changes the API server accepts but the operator refuses or cannot carry out: caught here so that the
 * dry run explains them before anything is applied. The seed warns that CNPG storage is not as mutable
 * as ordinary resources: growing a volume goes through only when its StorageClass allows expansion
 * (`allowVolumeExpansion: true`; k8s.io/api storage/v1 types.go StorageClass, enforced by the
 * PersistentVolumeClaimResize admission plugin), which `storageClasses` tells; without them, growth is refused.
 */
export function operatorImmutableChanges(live: K8sObject, desired: K8sObject, storageClasses?: readonly StorageClassFacts[]): ImmutableChange[] {
  if (desired.apiVersion !== 'postgresql.cnpg.io/v1' || desired.kind !== 'Cluster') return [];
  const changes: ImmutableChange[] = [];
  const name = desired.metadata.name;
  for (const volume of ['storage', 'walStorage']) {
    const before = get(live, ['spec', volume]) as { size?: string; storageClass?: string } | undefined;
    const after = get(desired, ['spec', volume]) as { size?: string; storageClass?: string } | undefined;
    if (!before || !after) {
      if (before && !after)
        changes.push({
          field: `spec.${volume}`,
          explanation: `removing the ${volume === 'walStorage' ? 'separate WAL volume' : 'data volume'} of an existing cluster is not supported`,
          manualStep: `keep spec.${volume}, or create a new cluster and migrate the data (e.g. with a CNPG import bootstrap)`,
        });
      continue;
    }
    if (before.storageClass !== after.storageClass && before.storageClass !== undefined)
      changes.push({
        field: `spec.${volume}.storageClass`,
        explanation: `the storage class of existing volumes cannot change (${before.storageClass} -> ${after.storageClass})`,
        manualStep: `create a new cluster on the new class and migrate the data, then remove the old one with --allow-data-loss`,
      });
    const beforeBytes = before.size ? quantityValue(before.size) : NaN;
    const afterBytes = after.size ? quantityValue(after.size) : NaN;
    if (afterBytes < beforeBytes)
      changes.push({
        field: `spec.${volume}.size`,
        explanation: `volumes cannot shrink (${before.size} -> ${after.size})`,
        manualStep: `keep ${before.size}; to get a smaller volume, create a new cluster and migrate the data`,
      });
    else if (afterBytes > beforeBytes) {
      const className = after.storageClass ?? before.storageClass;
      const storageClass = storageClasses && (className === undefined ? defaultClass(storageClasses) : storageClasses.find((c) => c.name === className));
      if (storageClass?.allowVolumeExpansion) continue;
      const which = className ?? storageClass?.name ?? '(the default class)';
      changes.push({
        field: `spec.${volume}.size`,
        explanation: !storageClasses
          ? `growing ${name}'s volumes (${before.size} -> ${after.size}) works only if the storage class allows expansion, and its StorageClass could not be read`
          : !storageClass
            ? `growing ${name}'s volumes (${before.size} -> ${after.size}) needs an expandable storage class, and the cluster has no StorageClass ${className ?? 'marked default'}`
            : `growing ${name}'s volumes (${before.size} -> ${after.size}) needs expansion, which StorageClass ${which} does not allow (no allowVolumeExpansion: true)`,
        manualStep:
          `keep ${before.size} in the config until the volumes are bigger: if the CSI driver can expand volumes, a cluster admin sets allowVolumeExpansion: true on StorageClass ${which} ` +
          `(kubectl patch storageclass ${which === '(the default class)' ? '<name>' : which} -p '{"allowVolumeExpansion":true}'), then apply; otherwise resize each volume of ${name} by hand in the cloud console ` +
          `(Horizon on Jetstream2: Volumes, Extend Volume, one instance at a time), then apply`,
      });
    }
  }
  return changes;
}

/** Why the API server refused a change as immutable, and the manual step, by kind. */
export function explainImmutable(object: K8sObject, message: string): ImmutableChange {
  const name = object.metadata.name;
  const namespace = object.metadata.namespace ? ` -n ${object.metadata.namespace}` : '';
  const orphan = `kubectl delete ${object.kind.toLowerCase()} ${name}${namespace} --cascade=orphan, then apply again (the pods keep running and are adopted)`;
  switch (object.kind) {
    case 'Deployment':
    case 'ReplicaSet':
    case 'DaemonSet':
      return { field: 'spec.selector', explanation: `the label selector of a ${object.kind} cannot change`, manualStep: orphan };
    case 'StatefulSet':
      return {
        field: 'spec (selector, volumeClaimTemplates, serviceName...)',
        explanation: 'only replicas, template, updateStrategy, persistentVolumeClaimRetentionPolicy and minReadySeconds of a StatefulSet can change',
        manualStep: `${orphan}; existing PVCs are kept`,
      };
    case 'Job':
      return { field: 'spec.template', explanation: 'the pod template of a Job cannot change', manualStep: `kubectl delete job ${name}${namespace}, then apply again` };
    case 'Service':
      return { field: 'spec.clusterIP', explanation: 'the cluster IP of a Service cannot change', manualStep: `kubectl delete service ${name}${namespace}, then apply again (brief outage)` };
    case 'PersistentVolumeClaim':
      return {
        field: 'spec',
        explanation: 'only the requested size of a bound PVC can grow; nothing else can change',
        manualStep: 'create a new claim and copy the data; deleting the old one needs --allow-data-loss',
      };
    default:
      return { field: 'spec', explanation: message, manualStep: `delete ${object.kind}/${name} by hand and apply again, if losing it is acceptable` };
  }
}
