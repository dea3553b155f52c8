import { closest } from '../../config/paths.ts';
import type { ClusterConfig } from '../../config/schema.ts';
import type { K8sObject } from '../../core/types.ts';
import type { Finding, Severity, Subject } from '../finding.ts';

export type Obj = Record<string, unknown>;

export const isObj = (value: unknown): value is Obj => typeof value === 'object' && value !== null && !Array.isArray(value);
export const asObj = (value: unknown): Obj => (isObj(value) ? value : {});
export const asList = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
export const str = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

/** One JSON Pointer token: `~` and `/` escaped (RFC 6901). */
export const token = (key: string | number): string => String(key).replace(/~/g, '~0').replace(/\//g, '~1');
export const pointer = (...keys: (string | number)[]): string => keys.map((k) => `/${token(k)}`).join('');

export const groupOf = (apiVersion: string): string => (apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '');

const key = (group: string, kind: string, namespace: string | undefined, name: string) => `${group}\u0000${kind}\u0000${namespace ?? ''}\u0000${name}`;

/** A subject whose object has the shape every rule relies on (kind, apiVersion, metadata.name). */
export interface Item extends Subject {
  group: string;
  kind: string;
  name: string;
  namespace: string | undefined;
  annotations: Record<string, string>;
  labels: Record<string, string>;
}

/**
 * Everything the rules look objects up by, built once per run so each rule stays linear in the number of
 * objects: by group and kind, and by group, kind, namespace and name.
 */
export interface Index {
  items: Item[];
  cluster: ClusterConfig | undefined;
  ofKind(group: string, kind: string): Item[];
  get(group: string, kind: string, namespace: string | undefined, name: string): Item | undefined;
  /** Namespaces holding an object of this kind and name, for "it exists, but elsewhere" messages. */
  namespacesOf(group: string, kind: string, name: string): string[];
}

const stringMap = (value: unknown): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(asObj(value))) if (typeof v === 'string') out[k] = v;
  return out;
};

export function buildIndex(subjects: Subject[], cluster: ClusterConfig | undefined): Index {
  const items: Item[] = [];
  const byKind = new Map<string, Item[]>();
  const byName = new Map<string, Item>();
  const byKindName = new Map<string, string[]>();
  for (const subject of subjects) {
    const object = subject.object as unknown;
    if (!isObj(object) || typeof object.kind !== 'string' || typeof object.apiVersion !== 'string') continue;
    const metadata = asObj(object.metadata);
    if (typeof metadata.name !== 'string') continue;
    const item: Item = {
      file: subject.file,
      document: subject.document,
      object: subject.object,
      group: groupOf(object.apiVersion),
      kind: object.kind,
      name: metadata.name,
      namespace: str(metadata.namespace),
      annotations: stringMap(metadata.annotations),
      labels: stringMap(metadata.labels),
    };
    items.push(item);
    const kindKey = `${item.group}\u0000${item.kind}`;
    let list = byKind.get(kindKey);
    if (!list) byKind.set(kindKey, (list = []));
    list.push(item);
    const full = key(item.group, item.kind, item.namespace, item.name);
    if (!byName.has(full)) byName.set(full, item);
    const nsKey = `${kindKey}\u0000${item.name}`;
    let namespaces = byKindName.get(nsKey);
    if (!namespaces) byKindName.set(nsKey, (namespaces = []));
    if (item.namespace && !namespaces.includes(item.namespace)) namespaces.push(item.namespace);
  }
  return {
    items,
    cluster,
    ofKind: (group, kind) => byKind.get(`${group}\u0000${kind}`) ?? [],
    get: (group, kind, namespace, name) => byName.get(key(group, kind, namespace, name)),
    namespacesOf: (group, kind, name) => [...(byKindName.get(`${group}\u0000${kind}\u0000${name}`) ?? [])].sort(),
  };
}

export const describe = (item: Item): string => `${item.kind}/${item.namespace ? `${item.namespace}/` : ''}${item.name}`;

export function finding(item: Item, path: string, rule: string, severity: Severity, message: string, hint?: string): Finding {
  return {
    file: item.file,
    document: item.document,
    object: describe(item),
    path,
    rule,
    severity,
    message,
    ...(hint !== undefined && { hint }),
  };
}

export const APP_LABEL = 'plinth.dev/app';
export const COMPONENT_LABEL = 'plinth.dev/component';

/**
 * Where in the Plinth config an object comes from, when validating a config's render: `apps[1]` for a
 * golden-path app's object, `components["valkey"]` for a component's own object.
 */
export function configPath(item: Item, cluster: ClusterConfig | undefined): { app?: string; component?: string } {
  if (!cluster) return {};
  const app = item.labels[APP_LABEL];
  if (app) {
    const index = cluster.apps.findIndex((a) => a.name === app);
    if (index >= 0) return { app: `apps[${index}]` };
  }
  const component = item.labels[COMPONENT_LABEL];
  if (component && component in cluster.components) return { component: `components[${JSON.stringify(component)}]` };
  return {};
}

export const quote = (value: string): string => JSON.stringify(value);
export const list = (values: string[]): string => values.map(quote).join(', ');

/** The pod spec of a workload and its JSON Pointer, for the kinds Kubernetes runs pods from. */
export function podSpecOf(item: Item): { spec: Obj; path: string; template?: Obj } | undefined {
  const object = item.object as unknown as Obj;
  const spec = asObj(object.spec);
  if (item.group === '' && item.kind === 'Pod') return { spec, path: '/spec', template: object };
  if (item.group === 'apps' && ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet'].includes(item.kind)) {
    const template = asObj(spec.template);
    return { spec: asObj(template.spec), path: '/spec/template/spec', template };
  }
  if (item.group === 'batch' && item.kind === 'Job') {
    const template = asObj(spec.template);
    return { spec: asObj(template.spec), path: '/spec/template/spec', template };
  }
  if (item.group === 'batch' && item.kind === 'CronJob') {
    const template = asObj(asObj(asObj(spec.jobTemplate).spec).template);
    return { spec: asObj(template.spec), path: '/spec/jobTemplate/spec/template/spec', template };
  }
  return undefined;
}

export const WORKLOAD_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob', 'Pod'] as const;

export function workloads(index: Index): Item[] {
  return [
    ...index.ofKind('apps', 'Deployment'),
    ...index.ofKind('apps', 'StatefulSet'),
    ...index.ofKind('apps', 'DaemonSet'),
    ...index.ofKind('apps', 'ReplicaSet'),
    ...index.ofKind('batch', 'Job'),
    ...index.ofKind('batch', 'CronJob'),
    ...index.ofKind('', 'Pod'),
  ];
}

export interface ContainerAt {
  container: Obj;
  name: string;
  path: string;
  init: boolean;
}

export function containersOf(pod: { spec: Obj; path: string }, withInit: boolean): ContainerAt[] {
  const out: ContainerAt[] = [];
  const groups: [string, boolean][] = withInit ? [['initContainers', true], ['containers', false]] : [['containers', false]];
  for (const [field, init] of groups)
    asList(pod.spec[field]).forEach((c, i) => {
      const container = asObj(c);
      out.push({ container, name: str(container.name) ?? `#${i}`, path: `${pod.path}/${field}/${i}`, init });
    });
  return out;
}

/** Kubernetes label selector semantics (matchLabels and matchExpressions); an empty selector selects everything. */
export function selects(selector: unknown, labels: Record<string, string>): boolean {
  if (!isObj(selector)) return false;
  for (const [k, v] of Object.entries(asObj(selector.matchLabels))) if (labels[k] !== v) return false;
  for (const e of asList(selector.matchExpressions)) {
    const { key: k, operator, values } = asObj(e);
    if (typeof k !== 'string') return false;
    const vals = asList(values).filter((v): v is string => typeof v === 'string');
    const has = Object.hasOwn(labels, k);
    if (operator === 'In' && !(has && vals.includes(labels[k]!))) return false;
    if (operator === 'NotIn' && has && vals.includes(labels[k]!)) return false;
    if (operator === 'Exists' && !has) return false;
    if (operator === 'DoesNotExist' && has) return false;
  }
  return true;
}

export const didYouMean = (value: string, candidates: Iterable<string>): string => {
  const match = closest(value, candidates);
  return match ? ` (did you mean ${quote(match)}?)` : '';
};

export type Rule = (index: Index) => Finding[];
export type { K8sObject };
