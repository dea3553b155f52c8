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

/**
 * Changes the API server accepts but the operator refuses or cannot carry out: caught here so that the
 * dry run explains them before anything is applied. The seed warns that CNPG storage is not as mutable
 * as ordinary resources.
 */
export function operatorImmutableChanges(live: K8sObject, desired: K8sObject): ImmutableChange[] {
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
    else if (afterBytes > beforeBytes)
      changes.push({
        field: `spec.${volume}.size`,
        explanation: `growing ${name}'s volumes (${before.size} -> ${after.size}) works only if the storage class allows expansion`,
        manualStep:
          'check `allowVolumeExpansion: true` on the storage class; if it is off, resize each PVC in the cloud console (Horizon on Jetstream2) first, then apply',
      });
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
