import { readYaml } from '../../core/yaml.ts';
import type { Finding } from '../finding.ts';
import {
  asList, asObj, configPath, didYouMean, finding, groupOf, isObj, list, pointer, quote, str,
  type Index, type Item, type Obj,
} from './context.ts';

const CERT_MANAGER = 'cert-manager.io';
const EXTERNAL_DNS_HOSTNAME = 'external-dns.alpha.kubernetes.io/hostname';

/** Every host an Ingress publishes: its rule hosts and external-dns's hostname annotation, with a pointer to each. */
export function ingressHosts(item: Item): { host: string; path: string }[] {
  const spec = asObj((item.object as unknown as Obj).spec);
  const hosts: { host: string; path: string }[] = [];
  asList(spec.rules).forEach((rule, i) => {
    const host = str(asObj(rule).host);
    if (host) hosts.push({ host: host.toLowerCase(), path: `/spec/rules/${i}/host` });
  });
  const annotated = item.annotations[EXTERNAL_DNS_HOSTNAME];
  if (annotated)
    for (const host of annotated.split(',').map((h) => h.trim().toLowerCase()).filter(Boolean))
      hosts.push({ host, path: pointer('metadata', 'annotations', EXTERNAL_DNS_HOSTNAME) });
  return hosts;
}

interface DomainFilter {
  /** Where the filter was found, for messages. */
  source: string;
  include: string[];
  exclude: string[];
  /** A regex filter: not evaluated here, so hosts are reported as not checked. */
  regex: boolean;
}

const filterList = (value: unknown): string[] =>
  asList(value).filter((v): v is string => typeof v === 'string').flatMap((v) => v.split(',')).map((v) => v.trim().toLowerCase()).filter(Boolean);

function filterFromArgs(args: string[], source: string): DomainFilter {
  const include: string[] = [];
  const exclude: string[] = [];
  let regex = false;
  args.forEach((arg, i) => {
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, args[i + 1]];
    if (flag === '--domain-filter' && inline) include.push(...filterList([inline]));
    if (flag === '--exclude-domains' && inline) exclude.push(...filterList([inline]));
    if (flag === '--regex-domain-filter') regex = true;
  });
  return { source, include, exclude, regex };
}

/** Helm values of an Argo CD Application source: `valuesObject`, else `values` parsed as YAML. */
function helmValues(source: Obj): Obj {
  const helm = asObj(source.helm);
  if (isObj(helm.valuesObject)) return helm.valuesObject;
  if (typeof helm.values === 'string') {
    try {
      return asObj(readYaml(helm.values));
    } catch {
      return {};
    }
  }
  return {};
}

/**
 * The domains external-dns publishes, from the objects: an Argo CD Application of the external-dns chart
 * (`domainFilters`, `excludeDomains`, `extraArgs` in its Helm values) or a plain external-dns Deployment's args.
 */
function domainFilters(index: Index): DomainFilter[] {
  const filters: DomainFilter[] = [];
  for (const app of index.ofKind('argoproj.io', 'Application')) {
    const spec = asObj((app.object as unknown as Obj).spec);
    const sources = [...(isObj(spec.source) ? [spec.source] : []), ...asList(spec.sources).filter(isObj)];
    for (const source of sources) {
      if (source.chart !== 'external-dns') continue;
      const values = helmValues(source);
      const args = asList(values.extraArgs).filter((a): a is string => typeof a === 'string');
      const fromArgs = filterFromArgs(args, '');
      filters.push({
        source: `Application ${app.namespace ? `${app.namespace}/` : ''}${app.name}`,
        include: [...filterList(values.domainFilters), ...fromArgs.include],
        exclude: [...filterList(values.excludeDomains), ...fromArgs.exclude],
        regex: fromArgs.regex || typeof values.regexDomainFilter === 'string',
      });
    }
  }
  for (const deployment of index.ofKind('apps', 'Deployment')) {
    const containers = asList(asObj(asObj(asObj(asObj((deployment.object as unknown as Obj).spec).template).spec)).containers);
    for (const c of containers.filter(isObj)) {
      if (!/(^|\/)external-dns(:|@|$)/.test(String(c.image ?? ''))) continue;
      const args = asList(c.args).filter((a): a is string => typeof a === 'string');
      filters.push(filterFromArgs(args, `Deployment ${deployment.namespace ? `${deployment.namespace}/` : ''}${deployment.name}`));
    }
  }
  return filters;
}

/** external-dns's suffix match: a filter `example.org` covers itself and its subdomains, `.example.org` only subdomains. */
export function inDomain(host: string, domain: string): boolean {
  const bare = host.replace(/^\*\./, '').replace(/\.$/, '');
  const d = domain.replace(/\.$/, '');
  if (d.startsWith('.')) return bare.endsWith(d);
  return bare === d || bare.endsWith(`.${d}`);
}

function published(host: string, filter: DomainFilter): boolean {
  if (filter.exclude.some((d) => inDomain(host, d))) return false;
  return filter.include.length === 0 || filter.include.some((d) => inDomain(host, d));
}

/** `ref/ingress-domain`: every Ingress host inside the domains external-dns publishes. */
export function ingressDomainRule(index: Index): Finding[] {
  const out: Finding[] = [];
  const ingresses = index.ofKind('networking.k8s.io', 'Ingress');
  if (ingresses.length === 0) return out;
  const filters = domainFilters(index);
  const domain = index.cluster?.domain;
  for (const ingress of ingresses) {
    const where = configPath(ingress, index.cluster);
    for (const { host, path } of ingressHosts(ingress)) {
      if (filters.length > 0) {
        if (filters.some((f) => published(host, f))) continue;
        if (filters.some((f) => f.regex)) {
          out.push(finding(ingress, path, 'ref/ingress-domain', 'info', `host ${quote(host)} not checked: external-dns uses a regex domain filter`));
          continue;
        }
        const domains = [...new Set(filters.flatMap((f) => f.include))];
        out.push(
          finding(
            ingress, path, 'ref/ingress-domain', 'error',
            `host ${quote(host)} is outside the domains external-dns publishes (${domains.length > 0 ? list(domains) : 'every domain excluded'}, from ${filters.map((f) => f.source).join(', ')}), so no DNS record would be created`,
            where.app
              ? `set ${where.app}.host to a name under ${quote(domain ?? domains[0] ?? '')}`
              : `use a host under ${domains.length > 0 ? list(domains) : 'a published domain'}, or add its domain to external-dns's domainFilters`,
          ),
        );
      } else if (domain) {
        if (inDomain(host, domain)) continue;
        out.push(
          finding(
            ingress, path, 'ref/ingress-domain', 'error',
            `host ${quote(host)} is outside the cluster domain ${quote(domain)} external-dns publishes, so no DNS record would be created`,
            where.app ? `set ${where.app}.host to a name under ${quote(domain)}, e.g. ${quote(`${host.split('.')[0]}.${domain}`)}` : `use a host under ${quote(domain)}`,
          ),
        );
      } else {
        out.push(
          finding(ingress, path, 'ref/ingress-domain', 'info', `host ${quote(host)} not checked: no external-dns (Application of the external-dns chart or Deployment) in the objects to say which domains it publishes`),
        );
      }
    }
  }
  return out;
}

/** Finds an issuer; `Issuer` is namespaced (the referrer's namespace), `ClusterIssuer` is not. */
function issuerFinding(
  index: Index, item: Item, path: string, rule: string, ref: { name: string; kind: string; group: string }, hintPrefix: string,
): Finding | undefined {
  if (ref.group !== CERT_MANAGER) {
    return finding(item, path, rule, 'info', `issuer ${ref.kind} ${quote(ref.name)} of group ${quote(ref.group)} not checked: an external issuer`);
  }
  if (ref.kind === 'ClusterIssuer') {
    if (index.get(CERT_MANAGER, 'ClusterIssuer', undefined, ref.name)) return undefined;
    const names = index.ofKind(CERT_MANAGER, 'ClusterIssuer').map((i) => i.name);
    return finding(
      item, path, rule, 'error',
      `ClusterIssuer ${quote(ref.name)} is not in the objects${didYouMean(ref.name, names)}`,
      `${hintPrefix}${names.length > 0 ? `name one of the ClusterIssuers ${list(names.sort())}` : 'add the ClusterIssuer (the cert-manager component renders letsencrypt-prod and letsencrypt-staging)'}`,
    );
  }
  if (ref.kind === 'Issuer') {
    if (index.get(CERT_MANAGER, 'Issuer', item.namespace, ref.name)) return undefined;
    const elsewhere = index.namespacesOf(CERT_MANAGER, 'Issuer', ref.name);
    const here = index.ofKind(CERT_MANAGER, 'Issuer').filter((i) => i.namespace === item.namespace).map((i) => i.name);
    return finding(
      item, path, rule, 'error',
      `Issuer ${quote(ref.name)} is not in namespace ${quote(item.namespace ?? '')}${elsewhere.length > 0 ? ` (it is in ${list(elsewhere)}, and an Issuer only serves its own namespace)` : didYouMean(ref.name, here)}`,
      `${hintPrefix}add the Issuer to namespace ${quote(item.namespace ?? '')}, or use a ClusterIssuer`,
    );
  }
  return finding(item, path, rule, 'error', `issuer kind ${quote(ref.kind)} is neither Issuer nor ClusterIssuer`, 'use kind Issuer or ClusterIssuer');
}

/** `ref/ingress-issuer`: cert-manager's ingress annotations name an issuer in the objects. */
export function ingressIssuerRule(index: Index): Finding[] {
  const out: Finding[] = [];
  for (const ingress of index.ofKind('networking.k8s.io', 'Ingress')) {
    const a = ingress.annotations;
    const where = configPath(ingress, index.cluster);
    const cluster = a['cert-manager.io/cluster-issuer'];
    const prefix = where.app ? `the app's Ingress uses ${cluster ?? 'letsencrypt-prod'}, which the cert-manager component renders: enable components["cert-manager"], or ` : '';
    if (cluster !== undefined) {
      const f = issuerFinding(index, ingress, pointer('metadata', 'annotations', 'cert-manager.io/cluster-issuer'), 'ref/ingress-issuer', { name: cluster, kind: 'ClusterIssuer', group: CERT_MANAGER }, prefix);
      if (f) out.push(f);
    }
    const issuer = a['cert-manager.io/issuer'];
    if (issuer !== undefined) {
      const kind = a['cert-manager.io/issuer-kind'] ?? 'Issuer';
      const group = a['cert-manager.io/issuer-group'] ?? CERT_MANAGER;
      const f = issuerFinding(index, ingress, pointer('metadata', 'annotations', 'cert-manager.io/issuer'), 'ref/ingress-issuer', { name: issuer, kind, group }, prefix);
      if (f) out.push(f);
    }
  }
  return out;
}

/** `ref/certificate-issuer`: a Certificate's `spec.issuerRef` names an issuer in the objects. */
export function certificateIssuerRule(index: Index): Finding[] {
  const out: Finding[] = [];
  for (const cert of index.ofKind(CERT_MANAGER, 'Certificate')) {
    const ref = asObj(asObj((cert.object as unknown as Obj).spec).issuerRef);
    const name = str(ref.name);
    if (!name) continue; // required by the CRD: the schema check reports it
    const f = issuerFinding(index, cert, '/spec/issuerRef/name', 'ref/certificate-issuer', { name, kind: str(ref.kind) ?? 'Issuer', group: str(ref.group) ?? CERT_MANAGER }, '');
    if (f) out.push(f);
  }
  return out;
}

const ESO = 'external-secrets.io';

/** Whether a ClusterSecretStore's `spec.conditions` let a namespace use it; undefined when a selector decides. */
function storeAllows(store: Item, namespace: string | undefined): boolean | undefined {
  const conditions = asList(asObj((store.object as unknown as Obj).spec).conditions).filter(isObj);
  if (conditions.length === 0) return true;
  let unknown = false;
  for (const c of conditions) {
    if (namespace && filterList(c.namespaces).includes(namespace)) return true;
    for (const re of asList(c.namespaceRegexes).filter((r): r is string => typeof r === 'string')) {
      try {
        if (namespace && new RegExp(re).test(namespace)) return true;
      } catch {
        unknown = true;
      }
    }
    if (isObj(c.namespaceSelector)) unknown = true;
  }
  return unknown ? undefined : false;
}

function storeFindings(index: Index, item: Item, ref: Obj, path: string, out: Finding[]): void {
  const name = str(ref.name);
  if (!name) return;
  const kind = str(ref.kind) ?? 'SecretStore';
  if (kind === 'ClusterSecretStore') {
    const store = index.get(ESO, 'ClusterSecretStore', undefined, name);
    if (!store) {
      const names = index.ofKind(ESO, 'ClusterSecretStore').map((s) => s.name);
      out.push(
        finding(
          item, `${path}/name`, 'ref/secret-store', 'error',
          `ClusterSecretStore ${quote(name)} is not in the objects${didYouMean(name, names)}`,
          names.length > 0 ? `name one of ${list(names.sort())}` : 'add the ClusterSecretStore (the external-secrets component renders plinth-secrets)',
        ),
      );
      return;
    }
    const allowed = storeAllows(store, item.namespace);
    if (allowed === false)
      out.push(
        finding(
          item, `${path}/name`, 'ref/secret-store', 'error',
          `ClusterSecretStore ${quote(name)} does not serve namespace ${quote(item.namespace ?? '')}: its spec.conditions leave it out`,
          `add ${quote(item.namespace ?? '')} to the store's spec.conditions[].namespaces`,
        ),
      );
    else if (allowed === undefined)
      out.push(finding(item, `${path}/name`, 'ref/secret-store', 'info', `whether ClusterSecretStore ${quote(name)} serves namespace ${quote(item.namespace ?? '')} not checked: its spec.conditions use a namespace selector or an invalid regex`));
    return;
  }
  if (kind === 'SecretStore') {
    if (index.get(ESO, 'SecretStore', item.namespace, name)) return;
    const elsewhere = index.namespacesOf(ESO, 'SecretStore', name);
    const cluster = index.get(ESO, 'ClusterSecretStore', undefined, name);
    out.push(
      finding(
        item, `${path}/name`, 'ref/secret-store', 'error',
        `SecretStore ${quote(name)} is not in namespace ${quote(item.namespace ?? '')}${elsewhere.length > 0 ? ` (it is in ${list(elsewhere)}, and a SecretStore only serves its own namespace)` : ''}`,
        cluster
          ? `a ClusterSecretStore ${quote(name)} exists: set ${path.slice(1).replaceAll('/', '.')}.kind to ClusterSecretStore`
          : `add the SecretStore to namespace ${quote(item.namespace ?? '')}, or use a ClusterSecretStore`,
      ),
    );
    return;
  }
  out.push(finding(item, `${path}/kind`, 'ref/secret-store', 'info', `store kind ${quote(kind)} not checked`));
}

/** `ref/secret-store`: ExternalSecrets name a (Cluster)SecretStore that exists and serves their namespace. */
export function secretStoreRule(index: Index): Finding[] {
  const out: Finding[] = [];
  for (const es of index.ofKind(ESO, 'ExternalSecret')) {
    const spec = asObj((es.object as unknown as Obj).spec);
    if (isObj(spec.secretStoreRef)) storeFindings(index, es, spec.secretStoreRef, '/spec/secretStoreRef', out);
    for (const field of ['data', 'dataFrom'] as const)
      asList(spec[field]).forEach((entry, i) => {
        const ref = asObj(asObj(entry).sourceRef).storeRef;
        if (isObj(ref)) storeFindings(index, es, ref, `/spec/${field}/${i}/sourceRef/storeRef`, out);
      });
  }
  return out;
}

export const APP_ANNOTATIONS = { database: 'plinth.dev/database', cache: 'plinth.dev/cache', topics: 'plinth.dev/topics' } as const;

/** A Redpanda Topic's name in Kafka: `spec.overwriteTopicName` when set, else the object's name. */
export const kafkaTopicName = (topic: Item): string => str(asObj((topic.object as unknown as Obj).spec).overwriteTopicName) ?? topic.name;

/** `ref/app-database`, `ref/app-cache`, `ref/app-topic`: an app's annotations name declared data services. */
export function appRefsRule(index: Index): Finding[] {
  const out: Finding[] = [];
  const annotated = index.items.filter((i) => APP_ANNOTATIONS.database in i.annotations || APP_ANNOTATIONS.cache in i.annotations || APP_ANNOTATIONS.topics in i.annotations);
  if (annotated.length === 0) return out;
  const databases = new Set(index.ofKind('postgresql.cnpg.io', 'Database').map((d) => str(asObj((d.object as unknown as Obj).spec).name) ?? d.name));
  const caches = new Set(index.ofKind('valkey.io', 'ValkeyCluster').map((c) => c.name));
  const topics = new Set(index.ofKind('cluster.redpanda.com', 'Topic').map(kafkaTopicName));
  for (const item of annotated) {
    const where = configPath(item, index.cluster);
    const db = item.annotations[APP_ANNOTATIONS.database];
    if (db !== undefined && !databases.has(db))
      out.push(
        finding(
          item, pointer('metadata', 'annotations', APP_ANNOTATIONS.database), 'ref/app-database', 'error',
          `database ${quote(db)} is not declared: no CloudNativePG Database with spec.name ${quote(db)}${didYouMean(db, databases)}`,
          where.app ? `declare it in postgres.databases (e.g. { name: ${quote(db)} }), or fix ${where.app}.database` : `add a postgresql.cnpg.io/v1 Database with spec.name ${quote(db)}, or fix the annotation`,
        ),
      );
    const cache = item.annotations[APP_ANNOTATIONS.cache];
    if (cache !== undefined && !caches.has(cache))
      out.push(
        finding(
          item, pointer('metadata', 'annotations', APP_ANNOTATIONS.cache), 'ref/app-cache', 'error',
          `cache ${quote(cache)} is not declared: no ValkeyCluster named ${quote(cache)}${didYouMean(cache, caches)}`,
          where.app ? `declare it in caches (e.g. { name: ${quote(cache)} }), or fix ${where.app}.cache` : `add a valkey.io/v1alpha1 ValkeyCluster named ${quote(cache)}, or fix the annotation`,
        ),
      );
    const topicList = item.annotations[APP_ANNOTATIONS.topics];
    if (topicList !== undefined)
      for (const topic of topicList.split(',').map((t) => t.trim()).filter(Boolean)) {
        if (topics.has(topic)) continue;
        out.push(
          finding(
            item, pointer('metadata', 'annotations', APP_ANNOTATIONS.topics), 'ref/app-topic', 'error',
            `topic ${quote(topic)} is not declared: no Redpanda Topic named ${quote(topic)}${didYouMean(topic, topics)}`,
            where.app ? `declare it in topics (e.g. { name: ${quote(topic)} }), or fix ${where.app}.topics` : `add a cluster.redpanda.com/v1alpha2 Topic named ${quote(topic)}, or fix the annotation`,
          ),
        );
      }
  }
  return out;
}

/** `ref/database-cluster`: a CloudNativePG Database names a Cluster in its namespace. */
export function databaseClusterRule(index: Index): Finding[] {
  const out: Finding[] = [];
  for (const db of index.ofKind('postgresql.cnpg.io', 'Database')) {
    const name = str(asObj(asObj((db.object as unknown as Obj).spec).cluster).name);
    if (!name || index.get('postgresql.cnpg.io', 'Cluster', db.namespace, name)) continue;
    const here = index.ofKind('postgresql.cnpg.io', 'Cluster').filter((c) => c.namespace === db.namespace).map((c) => c.name);
    const where = configPath(db, index.cluster);
    out.push(
      finding(
        db, '/spec/cluster/name', 'ref/database-cluster', 'error',
        `PostgreSQL Cluster ${quote(name)} is not in namespace ${quote(db.namespace ?? '')}${didYouMean(name, here)}`,
        where.component ? `declare the server in postgres.servers, or set the database's server to one of them` : `add the postgresql.cnpg.io/v1 Cluster ${quote(name)} to namespace ${quote(db.namespace ?? '')}`,
      ),
    );
  }
  return out;
}

const KAFKA_TRIGGERS = new Set(['kafka', 'apache-kafka']);

/** `ref/scaledobject-target`, `ref/scaledobject-topic`: KEDA scales something that exists, on declared topics. */
export function kedaRule(index: Index): Finding[] {
  const out: Finding[] = [];
  const topics = new Set(index.ofKind('cluster.redpanda.com', 'Topic').map(kafkaTopicName));
  const scalers = [...index.ofKind('keda.sh', 'ScaledObject'), ...index.ofKind('keda.sh', 'ScaledJob')];
  for (const scaler of scalers) {
    const spec = asObj((scaler.object as unknown as Obj).spec);
    const where = configPath(scaler, index.cluster);
    if (scaler.kind === 'ScaledObject') {
      const ref = asObj(spec.scaleTargetRef);
      const name = str(ref.name);
      const kind = str(ref.kind) ?? 'Deployment';
      const group = groupOf(str(ref.apiVersion) ?? 'apps/v1');
      if (name && !index.get(group, kind, scaler.namespace, name)) {
        const here = index.ofKind(group, kind).filter((d) => d.namespace === scaler.namespace).map((d) => d.name);
        const elsewhere = index.namespacesOf(group, kind, name);
        out.push(
          finding(
            scaler, '/spec/scaleTargetRef/name', 'ref/scaledobject-target', 'error',
            `${kind} ${quote(name)} is not in namespace ${quote(scaler.namespace ?? '')}${elsewhere.length > 0 ? ` (it is in ${list(elsewhere)}; KEDA scales only within the ScaledObject's namespace)` : didYouMean(name, here)}`,
            where.app ? `the app's ScaledObject targets its own Deployment: check ${where.app}.deployment and ${where.app}.extraObjects` : `name a ${kind} in namespace ${quote(scaler.namespace ?? '')}`,
          ),
        );
      }
    }
    asList(spec.triggers).forEach((t, i) => {
      const trigger = asObj(t);
      if (!KAFKA_TRIGGERS.has(String(trigger.type))) return;
      const metadata = asObj(trigger.metadata);
      const path = `/spec/triggers/${i}/metadata/topic`;
      const topic = str(metadata.topic);
      if (!topic) {
        out.push(finding(scaler, `/spec/triggers/${i}/metadata`, 'ref/scaledobject-topic', 'info', `kafka trigger ${i} not checked: it names no topic (KEDA then scales on every topic of the consumer group)`));
        return;
      }
      for (const name of topic.split(',').map((s) => s.trim()).filter(Boolean)) {
        if (topics.has(name)) continue;
        out.push(
          finding(
            scaler, path, 'ref/scaledobject-topic', 'error',
            `kafka trigger topic ${quote(name)} is not declared: no Redpanda Topic named ${quote(name)}${didYouMean(name, topics)}`,
            where.app ? `declare it in topics (e.g. { name: ${quote(name)} }), or fix ${where.app}.scale.topic` : `add a cluster.redpanda.com/v1alpha2 Topic named ${quote(name)}, or fix the trigger's topic`,
          ),
        );
      }
    });
  }
  return out;
}
