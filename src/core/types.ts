import type { z } from 'zod';
import type { ClusterConfig } from '../config/schema.ts';
import type { AlertRule, OwnedAlert, ScrapeTarget } from './alerts.ts';

/** A Kubernetes object as plain data. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

/** `Kind/namespace/name`, or `Kind/name` for a cluster-scoped object. */
export const describeObject = (object: K8sObject): string =>
  `${object.kind}/${object.metadata.namespace ? `${object.metadata.namespace}/` : ''}${object.metadata.name}`;

export type ComponentId = string;

/** Pinned upstream Helm chart coordinates (facts from the upstream charts.json). */
export interface ChartRef {
  repoURL: string;
  chart: string;
  version: string;
}

export interface ChartSource extends ChartRef {
  releaseName: string;
  values: Record<string, unknown>;
}

/** A secret input a component needs; its value never enters the rendered tree. */
export interface SecretInput {
  name: string;
  keys: { key: string; description: string }[];
  purpose: string;
  howToGet: string;
}

/** What `plinth doctor` checks on a live cluster, and which component it blames on failure. */
export interface HealthCheck {
  description: string;
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
  blame?: ComponentId;
  /** What to do when the check does not pass, beside what the cause chain says. */
  hint?: string;
}

export interface RenderContext<O> {
  cluster: ClusterConfig;
  options: O;
  namespace: string;
  /** Namespace where Argo CD and its Applications live. */
  argoNamespace: string;
  /** Whether another component is enabled in this cluster: for optional integrations. */
  enabled(id: ComponentId): boolean;
  /** The namespace an enabled component installs into (its configured one, else its default). */
  namespaceOf(id: ComponentId): string;
  /**
   * Set when a component collects alerts: the labels the cluster's Prometheus selects ServiceMonitors, PodMonitors and
   * rules by, for a component to put on what it exposes.
   */
  monitoring?: { labels: Record<string, string> };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyZodObject = z.ZodObject<any, any>;

export interface Component<S extends AnyZodObject = AnyZodObject, O = z.output<S>> {
  id: ComponentId;
  description: string;
  /** Namespace the component installs into, unless the config overrides it. */
  namespace: string;
  /** Components this one cannot work without; a function when that depends on its options (an Ingress needs traefik). */
  needs: readonly ComponentId[] | ((options: O) => ComponentId[]);
  /**
   * Components that must be enabled for this one to work, without ordering it after them: for a pair
   * that refer to each other (cert-manager's issuers use the Designate webhook, which needs cert-manager).
   */
  uses?: (options: O, cluster?: Pick<ClusterConfig, 'components'>) => ComponentId[];
  conflicts?: readonly ComponentId[];
  /** Typed knobs: a zod object whose fields all have defaults or are optional. */
  options: S;
  chart?: (ctx: RenderContext<O>) => ChartSource;
  resources?: (ctx: RenderContext<O>) => K8sObject[];
  secrets?: (ctx: RenderContext<O>) => SecretInput[];
  health?: (ctx: RenderContext<O>) => HealthCheck[];
  /** Alert rules about this component, rendered by the component that collects alerts (grafana). */
  alerts?: (ctx: RenderContext<O>) => AlertRule[];
  /** What makes Prometheus scrape this component: rendered only when a component collects alerts. */
  scrapeTargets?: (ctx: RenderContext<O>) => ScrapeTarget[];
  /** The objects that deliver every enabled component's alerts (rule groups, contact points, routes). */
  collectAlerts?: (ctx: RenderContext<O>, alerts: OwnedAlert[]) => K8sObject[];
  /**
   * The labels the cluster's Prometheus selects monitors by: from the component that collects alerts, else from the
   * component that runs Prometheus; with either, every component's scrape targets render.
   */
  monitoringLabels?: (ctx: RenderContext<O>) => Record<string, string>;
}

/** Erases the options type so components of different option types share one registry. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyComponent = Component<AnyZodObject, any>;

export function defineComponent<S extends AnyZodObject>(component: Component<S>): Component<S> {
  return component;
}
