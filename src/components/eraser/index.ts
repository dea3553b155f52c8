import { z } from 'zod';
import { defineComponent, type K8sObject } from '../../core/types.ts';

/** Eraser reads every ConfigMap with this label in its own namespace as a list of images never to remove. */
export const EXCLUSION_LABEL = 'eraser.sh/exclude.list';

/**
 * Eraser only ever removes images no container is running. These are the ones worth keeping anyway:
 * the node's own system images (pause, kube-proxy, CoreDNS, CSI and cloud-provider sidecars), so a
 * rebooted node never waits on a registry to come back; and Eraser's own, pulled on every run.
 */
export const DEFAULT_EXCLUSIONS = ['registry.k8s.io/*', 'ghcr.io/eraser-dev/*'];

const GO_DURATION = /^(?=[0-9])([0-9]+h)?([0-9]+m)?([0-9]+s)?$/;

/**
 * The forms Eraser matches: an image with tag, a digest, `<registry>/<path>/*` for everything below a
 * path, or `<image>:*` for every tag. Runtimes report fully qualified names, so a short name such as
 * `nginx` or `library/nginx` would match nothing.
 */
const exclusion = z.string().superRefine((value, ctx) => {
  const message = (why: string) => ctx.addIssue({ code: 'custom', message: `"${value}" ${why}` });
  if (/^sha256:[0-9a-f]{64}$/.test(value)) return;
  if (/\s/.test(value) || value === '') return message('is not an image reference');
  const wildcard = value.indexOf('*');
  if (wildcard !== -1 && (wildcard !== value.length - 1 || !/[/:]\*$/.test(value)))
    return message('uses "*" where Eraser ignores it; only a trailing "/*" (a whole path) or ":*" (every tag) is a wildcard');
  const registry = value.split('/')[0]!;
  if (!value.includes('/') || !/[.:]|^localhost$/.test(registry))
    return message(`must start with a registry host, as the container runtime names images, e.g. "docker.io/${value.includes('/') ? value : `library/${value}`}"`);
});

const options = z.strictObject({
  /** How often Eraser removes every image no container uses (Go duration). */
  repeatInterval: z.string().regex(GO_DURATION, { error: 'must be a duration such as "24h" or "12h30m"' }).default('24h'),
  /** Images Eraser must never remove, in the forms it matches. */
  exclude: z.array(exclusion).default(DEFAULT_EXCLUSIONS),
  /**
   * Also scan images with Trivy and remove vulnerable ones, even if unused is not enough. Off: the scanner
   * asks each node for a CPU and up to 2Gi, and removing every unused image already frees the disk.
   */
  scanner: z.boolean().default(false),
});

export const eraser = defineComponent({
  id: 'eraser',
  description: 'Eraser: removes unused container images from every node on a schedule, before they fill the disks',
  namespace: 'eraser-system',
  needs: [],
  options,
  chart: ({ options }) => ({
    repoURL: 'https://eraser-dev.github.io/eraser/charts',
    chart: 'eraser',
    version: '1.4.1',
    releaseName: 'eraser',
    values: {
      runtimeConfig: {
        manager: { scheduling: { repeatInterval: options.repeatInterval, beginImmediately: true } },
        components: { scanner: { enabled: options.scanner } },
      },
    },
  }),
  resources: ({ options, namespace }) => {
    const objects: K8sObject[] = [];
    if (options.exclude.length > 0) {
      objects.push({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'plinth-excluded-images', namespace, labels: { [EXCLUSION_LABEL]: 'true' } },
        data: { 'excluded.json': JSON.stringify({ excluded: options.exclude }) },
      });
    }
    return objects;
  },
  health: ({ namespace }) => [
    {
      description: 'schedules the cleanup jobs on every node',
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: 'eraser-controller-manager',
      namespace,
    },
  ],
});
