import { z } from 'zod';
import { defineComponent } from '../../core/types.ts';

/**
 * The Barman Cloud plugin of CloudNativePG (chart plugin-barman-cloud 0.7.0, plugin v0.13.0): the supported way to
 * back up on CloudNativePG 1.30, replacing the Cluster's deprecated in-tree barmanObjectStore. Its own component
 * because a component carries one chart, and because it must be running before the servers that name it: the
 * operator finds plugins by the Services in its own namespace (label `cnpg.io/pluginName`), and the chart installs
 * the ObjectStore CRD. cloudnative-pg needs it when backups are on; the plugin itself reconciles only ObjectStores,
 * so it does not need the CloudNativePG operator, only cert-manager for its mTLS certificates (chart README).
 */
export const barmanCloud = defineComponent({
  id: 'barman-cloud',
  description: 'Barman Cloud plugin: CloudNativePG backups (WAL archiving, base backups, restores) to S3-compatible storage',
  // The CloudNativePG operator's namespace: it looks for plugin Services there only.
  namespace: 'cnpg-system',
  needs: ['cert-manager'],
  options: z.strictObject({}),
  chart: () => ({
    repoURL: 'https://cloudnative-pg.github.io/charts',
    chart: 'plugin-barman-cloud',
    version: '0.7.0',
    releaseName: 'plugin-barman-cloud',
    values: { crds: { create: true } },
  }),
  health: ({ namespace }) => [
    // templates/deployment.yaml names it after the release (plugin-barman-cloud.fullname); service.yaml names the Service.
    { description: 'plugin', apiVersion: 'apps/v1', kind: 'Deployment', name: 'plugin-barman-cloud', namespace },
    { description: 'plugin Service the operator discovers', apiVersion: 'v1', kind: 'Service', name: 'barman-cloud', namespace },
  ],
});
