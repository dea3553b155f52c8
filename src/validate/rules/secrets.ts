import type { Finding } from '../finding.ts';
import {
  asList, asObj, configPath, finding, isObj, list, podSpecOf, quote, str, workloads,
  type Index, type Item, type Obj,
} from './context.ts';

/** Something in the objects that makes a Secret appear in a namespace. */
export interface Producer {
  item: Item;
  /** How, for messages: `StringSecret databases/pg-mswa`. */
  what: string;
  /** The keys the Secret will hold, when the producer says; undefined when they cannot be known from the objects. */
  keys: Set<string> | undefined;
}

interface ClusterSecretProducer {
  item: Item;
  match: RegExp[];
  avoid: RegExp[];
  keys: Set<string> | undefined;
  /** Source secret namespace/name for valueFrom copies: such a copy does not produce its own source. */
  source?: string;
}

const keysOf = (value: unknown): string[] => Object.keys(asObj(value));
const MITTWALD = 'secretgenerator.mittwald.de';

/**
 * ClusterSecret matches namespaces with Python's `re.match`: anchored at the start only. A missing list, or
 * the pattern `*`, matches every namespace.
 */
function namespacePatterns(value: unknown, fallbackAll: boolean): RegExp[] | undefined {
  const patterns = asList(value).filter((p): p is string => typeof p === 'string');
  if (patterns.length === 0) return fallbackAll ? [/^/] : [];
  const out: RegExp[] = [];
  for (const p of patterns) {
    if (p === '*') {
      out.push(/^/);
      continue;
    }
    try {
      out.push(new RegExp(`^(?:${p})`));
    } catch {
      return undefined;
    }
  }
  return out;
}

/** A namespace for messages; '' is the namespace of manifests that set none. */
const nsName = (namespace: string): string => (namespace ? `namespace ${quote(namespace)}` : 'the namespace of the manifests without one');

export interface SecretIndex {
  /** Producers of the Secret `name` in `namespace`; `exclude` leaves one object out (a ClusterSecret's own copy). */
  producers(namespace: string, name: string, exclude?: Item): Producer[];
  /** Namespaces where something produces a Secret of that name, for "it is elsewhere" messages. */
  elsewhere(name: string): string[];
}

/**
 * Every producer of Secrets in the objects, indexed once: Secrets, ExternalSecrets (their target), the
 * secret generator's kinds, ClusterSecrets (by namespace pattern), SealedSecrets, and Secrets operators
 * are known to write: cert-manager's certificate Secrets (a Certificate, or an Ingress with an issuer
 * annotation) and CloudNativePG's `<cluster>-app`, `-superuser`, `-ca`, `-server` and `-replication`.
 */
export function secretIndex(index: Index): SecretIndex {
  const byKey = new Map<string, Producer[]>();
  const names = new Map<string, Set<string>>();
  const add = (namespace: string | undefined, name: string | undefined, producer: Producer) => {
    if (!name) return;
    // Manifests without a namespace share the one they will be applied to: '' stands for it.
    namespace ??= '';
    const key = `${namespace}/${name}`;
    let producers = byKey.get(key);
    if (!producers) byKey.set(key, (producers = []));
    producers.push(producer);
    let namespaces = names.get(name);
    if (!namespaces) names.set(name, (namespaces = new Set()));
    namespaces.add(namespace);
  };
  const what = (item: Item) => `${item.kind} ${item.namespace ? `${item.namespace}/` : ''}${item.name}`;
  const spec = (item: Item) => asObj((item.object as unknown as Obj).spec);

  for (const item of index.ofKind('', 'Secret')) {
    const object = item.object as unknown as Obj;
    const keys = [...keysOf(object.data), ...keysOf(object.stringData)];
    add(item.namespace, item.name, { item, what: what(item), keys: keys.length > 0 ? new Set(keys) : undefined });
  }
  for (const group of ['external-secrets.io']) {
    for (const item of index.ofKind(group, 'ExternalSecret')) {
      const s = spec(item);
      const target = asObj(s.target);
      const policy = str(target.creationPolicy) ?? 'Owner';
      // Merge fills an existing Secret and None creates nothing: neither produces the Secret.
      if (policy !== 'Owner' && policy !== 'Orphan') continue;
      const manifest = asObj(target.manifest);
      if (str(manifest.kind) && manifest.kind !== 'Secret') continue;
      const template = asObj(target.template);
      let keys: Set<string> | undefined;
      if (asList(s.dataFrom).length === 0 && asList(template.templateFrom).length === 0) {
        const dataKeys = asList(s.data).map((d) => str(asObj(d).secretKey)).filter((k): k is string => !!k);
        const templateKeys = keysOf(template.data);
        keys = new Set(isObj(template.data) ? (template.mergePolicy === 'Merge' ? [...templateKeys, ...dataKeys] : templateKeys) : dataKeys);
      }
      add(item.namespace, str(target.name) ?? item.name, { item, what: what(item), keys });
    }
  }
  for (const item of index.ofKind(MITTWALD, 'StringSecret')) {
    const s = spec(item);
    const fields = asList(s.fields).map((f) => str(asObj(f).fieldName)).filter((k): k is string => !!k);
    add(item.namespace, item.name, { item, what: what(item), keys: new Set([...fields, ...keysOf(s.data)]) });
  }
  for (const kind of ['BasicAuth', 'SSHKeyPair'])
    for (const item of index.ofKind(MITTWALD, kind)) add(item.namespace, item.name, { item, what: what(item), keys: undefined });
  for (const item of index.ofKind('bitnami.com', 'SealedSecret')) {
    const s = spec(item);
    const name = str(asObj(asObj(s.template).metadata).name) ?? item.name;
    add(item.namespace, name, { item, what: what(item), keys: new Set(keysOf(s.encryptedData)) });
  }
  const tlsKeys = () => new Set(['tls.crt', 'tls.key', 'ca.crt']);
  for (const item of index.ofKind('cert-manager.io', 'Certificate'))
    add(item.namespace, str(spec(item).secretName), { item, what: what(item), keys: tlsKeys() });
  for (const item of index.ofKind('networking.k8s.io', 'Ingress')) {
    if (!('cert-manager.io/cluster-issuer' in item.annotations) && !('cert-manager.io/issuer' in item.annotations)) continue;
    for (const tls of asList(spec(item).tls)) add(item.namespace, str(asObj(tls).secretName), { item, what: `cert-manager (for ${what(item)})`, keys: tlsKeys() });
  }
  for (const item of index.ofKind('postgresql.cnpg.io', 'Cluster')) {
    const s = spec(item);
    const generated = ['ca', 'server', 'replication'];
    if (!str(asObj(asObj(asObj(s.bootstrap).initdb).secret).name)) generated.push('app');
    if (s.enableSuperuserAccess === true) generated.push('superuser');
    for (const suffix of generated) add(item.namespace, `${item.name}-${suffix}`, { item, what: `CloudNativePG (for ${what(item)})`, keys: undefined });
  }

  const clusterSecrets: ClusterSecretProducer[] = [];
  for (const item of index.ofKind('clustersecret.io', 'ClusterSecret')) {
    const object = item.object as unknown as Obj;
    const match = namespacePatterns(object.matchNamespace, true);
    const avoid = namespacePatterns(object.avoidNamespaces, false);
    if (!match || !avoid) continue; // an invalid pattern: the ClusterSecret source rule reports it
    const data = asObj(object.data);
    const ref = asObj(asObj(data.valueFrom).secretKeyRef);
    const fromRef = isObj(data.valueFrom);
    const refKeys = asList(ref.keys).filter((k): k is string => typeof k === 'string');
    const keys = fromRef ? (refKeys.length > 0 ? new Set(refKeys) : undefined) : new Set(Object.keys(data).filter((k) => k !== 'valueFrom'));
    const source = fromRef && str(ref.namespace) && str(ref.name) ? `${ref.namespace}/${ref.name}` : undefined;
    clusterSecrets.push({ item, match, avoid, keys, ...(source && { source }) });
  }

  return {
    producers(namespace, name, exclude) {
      const found = (byKey.get(`${namespace}/${name}`) ?? []).filter((p) => p.item !== exclude);
      for (const cs of clusterSecrets) {
        if (cs.item === exclude || cs.item.name !== name) continue;
        if (cs.source === `${namespace}/${name}`) continue;
        if (namespace !== '' && cs.match.some((r) => r.test(namespace)) && !cs.avoid.some((r) => r.test(namespace)))
          found.push({ item: cs.item, what: `ClusterSecret ${cs.item.name}`, keys: cs.keys });
      }
      return found;
    },
    elsewhere: (name) => [...(names.get(name) ?? [])].sort(),
  };
}

interface SecretRef {
  name: string;
  path: string;
  key?: string;
  optional: boolean;
}

/** Every Secret a pod spec uses: env secretKeyRef, envFrom secretRef, secret and projected volumes, image pull secrets. */
export function podSecretRefs(pod: { spec: Obj; path: string }): SecretRef[] {
  const refs: SecretRef[] = [];
  for (const field of ['initContainers', 'containers', 'ephemeralContainers'])
    asList(pod.spec[field]).forEach((c, ci) => {
      const container = asObj(c);
      const base = `${pod.path}/${field}/${ci}`;
      asList(container.env).forEach((e, ei) => {
        const ref = asObj(asObj(asObj(e).valueFrom).secretKeyRef);
        const name = str(ref.name);
        if (name) refs.push({ name, path: `${base}/env/${ei}/valueFrom/secretKeyRef/name`, ...(str(ref.key) && { key: str(ref.key) }), optional: ref.optional === true });
      });
      asList(container.envFrom).forEach((e, ei) => {
        const ref = asObj(asObj(e).secretRef);
        const name = str(ref.name);
        if (name) refs.push({ name, path: `${base}/envFrom/${ei}/secretRef/name`, optional: ref.optional === true });
      });
    });
  asList(pod.spec.volumes).forEach((v, vi) => {
    const volume = asObj(v);
    const secret = asObj(volume.secret);
    const name = str(secret.secretName);
    if (name) refs.push({ name, path: `${pod.path}/volumes/${vi}/secret/secretName`, optional: secret.optional === true });
    asList(asObj(volume.projected).sources).forEach((s, si) => {
      const projected = asObj(asObj(s).secret);
      const pname = str(projected.name);
      if (pname) refs.push({ name: pname, path: `${pod.path}/volumes/${vi}/projected/sources/${si}/secret/name`, optional: projected.optional === true });
    });
  });
  asList(pod.spec.imagePullSecrets).forEach((s, i) => {
    const name = str(asObj(s).name);
    if (name) refs.push({ name, path: `${pod.path}/imagePullSecrets/${i}/name`, optional: false });
  });
  return refs;
}

/**
 * Looks one Secret reference up. Produced nowhere in the objects is a warning: an operator or a person may
 * create it outside the tree. Produced only in other namespaces is an error: a pod reads Secrets of its
 * own namespace only. A key the producer is known not to write is an error too.
 */
function checkRef(
  secrets: SecretIndex, item: Item, namespace: string, ref: { name: string; path: string; key?: string; keys?: string[] },
  rule: string, hints: { missing: string; elsewhere: string; key: string }, exclude?: Item,
): Finding[] {
  const producers = secrets.producers(namespace, ref.name, exclude);
  if (producers.length === 0) {
    const elsewhere = secrets.elsewhere(ref.name).filter((ns) => ns !== namespace);
    if (elsewhere.length > 0)
      return [finding(item, ref.path, rule, 'error', `Secret ${quote(ref.name)} is produced in ${elsewhere.map(nsName).join(', ')} but not in ${nsName(namespace)}, where it is read`, hints.elsewhere)];
    return [finding(item, ref.path, rule, 'warning', `nothing in the objects produces Secret ${quote(ref.name)} in ${nsName(namespace)}`, hints.missing)];
  }
  const wanted = ref.keys ?? (ref.key ? [ref.key] : []);
  const out: Finding[] = [];
  for (const key of wanted) {
    // Known keys of every producer must lack the key: one producer with unknown keys may well write it.
    if (producers.some((p) => !p.keys || p.keys.has(key))) continue;
    const offered = [...new Set(producers.flatMap((p) => [...(p.keys ?? [])]))].sort();
    out.push(
      finding(
        item, ref.path.replace(/\/name$/, ref.key ? '/key' : '/keys'), 'ref/secret-key', 'error',
        `Secret ${quote(ref.name)} in ${nsName(namespace)} has no key ${quote(key)}: ${producers.map((p) => p.what).join(', ')} writes ${offered.length > 0 ? list(offered) : 'no keys'}`,
        hints.key,
      ),
    );
  }
  return out;
}

/** `ref/secret` and `ref/secret-key`: every Secret a pod template reads is produced in its namespace, with the key. */
export function podSecretRule(index: Index, secrets: SecretIndex): Finding[] {
  const out: Finding[] = [];
  for (const workload of workloads(index)) {
    const pod = podSpecOf(workload);
    if (!pod) continue;
    const where = configPath(workload, index.cluster);
    for (const ref of podSecretRefs(pod)) {
      if (ref.optional) continue;
      const ns = workload.namespace ?? '';
      out.push(
        ...checkRef(secrets, workload, ns, ref, 'ref/secret', {
          missing: where.app
            ? `the app's Secrets come from its database and cache declarations: check postgres.databases, caches and ${where.app}.deployment`
            : `produce it in ${nsName(ns)} (an ExternalSecret, a StringSecret${ns ? `, or a ClusterSecret matching ${quote(ns)}` : ''}); if an operator creates it, ignore this warning`,
          elsewhere: ns ? `copy it into ${quote(ns)} with a ClusterSecret (matchNamespace: ["^${ns}$"]) or produce it there` : 'set the namespace of the workload, or produce the Secret beside it',
          key: `use one of the keys the producer writes, or add ${quote(ref.key ?? '')} to it`,
        }),
      );
    }
  }
  return out;
}

/**
 * `ref/secret` for an Ingress's TLS Secrets: cert-manager issues them when an issuer annotation or a
 * Certificate asks; otherwise the router serves its default certificate and browsers refuse it.
 */
export function ingressTlsSecretRule(index: Index, secrets: SecretIndex): Finding[] {
  const out: Finding[] = [];
  for (const ingress of index.ofKind('networking.k8s.io', 'Ingress')) {
    const ns = ingress.namespace ?? '';
    asList(asObj((ingress.object as unknown as Obj).spec).tls).forEach((tls, i) => {
      const name = str(asObj(tls).secretName);
      if (!name) return;
      out.push(
        ...checkRef(secrets, ingress, ns, { name, path: `/spec/tls/${i}/secretName` }, 'ref/secret', {
          missing: `add the annotation cert-manager.io/cluster-issuer (e.g. "letsencrypt-prod") so cert-manager issues ${quote(name)}, or a Certificate with secretName ${quote(name)}`,
          elsewhere: `issue the certificate in ${nsName(ns)}: an Ingress serves TLS Secrets of its own namespace only`,
          key: '',
        }),
      );
    });
  }
  return out;
}

/** `ref/clustersecret-source`: a ClusterSecret copying from `data.valueFrom.secretKeyRef` has a source to copy. */
export function clusterSecretSourceRule(index: Index, secrets: SecretIndex): Finding[] {
  const out: Finding[] = [];
  for (const cs of index.ofKind('clustersecret.io', 'ClusterSecret')) {
    const object = cs.object as unknown as Obj;
    for (const field of ['matchNamespace', 'avoidNamespaces'] as const)
      if (!namespacePatterns(object[field], field === 'matchNamespace'))
        out.push(finding(cs, `/${field}`, 'ref/clustersecret-source', 'error', `${field} holds a pattern that is not a valid regular expression`, 'fix the pattern (ClusterSecret matches namespaces with regular expressions, anchored at the start)'));
    const valueFrom = asObj(asObj(object.data).valueFrom);
    if (!isObj(valueFrom.secretKeyRef)) continue;
    const ref = asObj(valueFrom.secretKeyRef);
    const name = str(ref.name);
    const namespace = str(ref.namespace);
    if (!name) continue;
    if (!namespace) {
      out.push(finding(cs, '/data/valueFrom/secretKeyRef', 'ref/clustersecret-source', 'error', `source Secret ${quote(name)} names no namespace`, 'set data.valueFrom.secretKeyRef.namespace to the namespace holding the source Secret'));
      continue;
    }
    const keys = asList(ref.keys).filter((k): k is string => typeof k === 'string');
    const where = configPath(cs, index.cluster);
    out.push(
      ...checkRef(secrets, cs, namespace, { name, path: '/data/valueFrom/secretKeyRef/name', keys }, 'ref/clustersecret-source', {
        missing: where.component
          ? `the source comes from the database or cache declarations: check postgres.databases and caches`
          : `produce Secret ${quote(name)} in ${quote(namespace)} (e.g. a StringSecret or an ExternalSecret), or point secretKeyRef at one that is`,
        elsewhere: `set data.valueFrom.secretKeyRef.namespace to where the Secret is produced`,
        key: `list only keys the source Secret holds in data.valueFrom.secretKeyRef.keys`,
      }, cs),
    );
  }
  return out;
}
