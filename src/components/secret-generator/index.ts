import { z } from 'zod';
import { dnsLabel } from '../../config/schema.ts';
import { defineComponent } from '../../core/types.ts';

const options = z.strictObject({
  /** Namespaces whose StringSecrets the operator fills; empty means all, which generatedSecret() relies on. */
  namespaces: z.array(dnsLabel).default([]),
});

/**
 * kubernetes-secret-generator: fills the StringSecrets that generatedSecret() renders with random values, inside
 * the cluster. It renders nothing of its own; every component that calls generatedSecret() must need it.
 */
export const secretGenerator = defineComponent({
  id: 'secret-generator',
  description: 'kubernetes-secret-generator: random passwords generated in the cluster, never in git',
  namespace: 'secret-generator',
  needs: [],
  options,
  chart: ({ options }) => ({
    repoURL: 'https://helm.mittwald.de',
    chart: 'kubernetes-secret-generator',
    version: '3.4.1',
    releaseName: 'kubernetes-secret-generator',
    values: {
      watchNamespace: options.namespaces.join(','),
      // The tag is pinned to the chart's appVersion; `Always` would only make every restart depend on quay.io.
      image: { pullPolicy: 'IfNotPresent' },
    },
  }),
  health: ({ namespace }) => [
    { description: 'operator', apiVersion: 'apps/v1', kind: 'Deployment', name: 'kubernetes-secret-generator', namespace },
  ],
});
