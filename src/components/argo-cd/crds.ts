import { createHash } from 'node:crypto';
import type { K8sObject } from '../../core/types.ts';

/** JSON with every map's keys sorted: the same spec, however a file orders or formats it, gives the same text. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value === 'object' && value !== null)
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(value);
}

/** A CRD's identity for comparing versions: the sha256 of its spec (metadata, such as Helm's labels, left out). */
export const crdFingerprint = (crd: K8sObject): string => createHash('sha256').update(canonical(crd.spec)).digest('hex');

/**
 * The CRDs the pinned argo-cd chart installs: argoproj/argo-helm tag argo-cd-10.1.1,
 * charts/argo-cd/templates/crds/crd-{application,applicationset,appproject}.yaml, whose specs are those of the
 * Argo CD release it ships (argoproj/argo-cd v3.4.4 manifests/crds/*-crd.yaml; both fingerprinted with
 * crdFingerprint, and equal). Update together with the chart version.
 */
export const ARGO_CD_CHART_CRDS = {
  chart: 'argo-cd 10.1.1',
  appVersion: 'v3.4.4',
  fingerprints: {
    'applications.argoproj.io': '2c161354066bd3940f6d744b6c60836e7924c40e21cb1b6074ce82319f568a5c',
    'applicationsets.argoproj.io': 'dd51121dbdb3f910d02542f5a00b5551077231ac9b31153606da86a0f3a36118',
    'appprojects.argoproj.io': 'c11626f821a72fc035f287045245f9874e767b25ccf51ecfcc3794492933d538',
  } as Record<string, string>,
};

export interface CrdMismatch {
  name: string;
  /** `differs`: another version of a CRD the chart installs; `unknown`: a CRD the chart does not install. */
  problem: 'differs' | 'unknown';
}

/** The Argo CD CRDs among `crds` that are not the pinned chart's. */
export function foreignArgoCrds(crds: K8sObject[]): CrdMismatch[] {
  const mismatches: CrdMismatch[] = [];
  for (const crd of crds) {
    const expected = ARGO_CD_CHART_CRDS.fingerprints[crd.metadata.name];
    if (expected === undefined) mismatches.push({ name: crd.metadata.name, problem: 'unknown' });
    else if (crdFingerprint(crd) !== expected) mismatches.push({ name: crd.metadata.name, problem: 'differs' });
  }
  return mismatches;
}
