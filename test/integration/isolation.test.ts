// The default config's two stages on a real API server, scheduler and kwok nodes: the data components' objects are
// applied as rendered, the in-cluster generators and copiers do what they do with them, the staging stage runs, and
// its namespace holds no copy of production's credentials.
import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse, stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { registry } from '../../src/components/index.ts';
import { loadCluster, readConfigFile } from '../../src/config/load.ts';
import { resolveCluster } from '../../src/config/validate.ts';
import { renderTree, type RenderedTree } from '../../src/core/render.ts';
import type { K8sObject } from '../../src/core/types.ts';
import { REPO, tempDir, UPSTREAM } from '../helpers.ts';
import { controlPlaneBinary } from './control-plane.ts';
import { until, useControlPlane } from './live.ts';
/** This file's patience: the shared poll with its own timeout. */
const waitFor = <T>(what: string, probe: () => Promise<T | undefined>, seconds = 120) => until(what, probe, seconds);

const cluster = useControlPlane();
const run = promisify(execFile);
const TAG = '2.0.0';
/** The components whose objects hold or copy the stages' data and credentials. */
const DATA_COMPONENTS = ['cloudnative-pg', 'valkey', 'redpanda', 'clustersecret'];
const CRDS = [
  'kubernetes-secret-generator/secretgenerator.mittwald.de_stringsecrets_crd.yaml',
  'clustersecret/clustersecret-crd.yaml',
  'cloudnative-pg/postgresql.cnpg.io_clusters.yaml',
  'cloudnative-pg/postgresql.cnpg.io_databases.yaml',
  'valkey-operator/valkey.io_valkeyclusters.yaml',
  'redpanda-operator/cluster.redpanda.com_redpandas.yaml',
  'redpanda-operator/cluster.redpanda.com_topics.yaml',
  'keda/keda.sh_scaledobjects.yaml',
];

async function kubectl(args: string[], input?: string): Promise<string> {
  const child = run(controlPlaneBinary(), ['kubectl', '--kubeconfig', cluster.control.kubeconfig, ...args], { maxBuffer: 64 * 2 ** 20 });
  if (input !== undefined) child.child.stdin!.end(input);
  return (await child).stdout;
}


/** What kubernetes-secret-generator does with a StringSecret: a Secret with its data and each field generated. */
async function generateSecrets(): Promise<void> {
  for (const string of await cluster.live.list('secretgenerator.mittwald.de/v1alpha1', 'StringSecret')) {
    const spec = string.spec as { type?: string; data?: Record<string, string>; fields: { fieldName: string; length: string }[] };
    const generated = Object.fromEntries(spec.fields.map((f) => [f.fieldName, randomBytes(Number(f.length)).toString('base64url').slice(0, Number(f.length))]));
    await cluster.live.apply({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: string.metadata.name, namespace: string.metadata.namespace },
      ...(spec.type && { type: spec.type }),
      stringData: { ...spec.data, ...generated },
    } as K8sObject);
  }
}

/**
 * What the ClusterSecret operator does with each ClusterSecret as applied: the source Secret's keys, copied into
 * every namespace whose name one of `matchNamespace`'s regular expressions matches from its start
 * (zakkg3/ClusterSecret README: "match matchNamespace but not matching avoidNamespaces RegExp's"; Python re.match).
 */
async function copySecrets(): Promise<void> {
  const namespaces = (await cluster.live.list('v1', 'Namespace')).map((n) => n.metadata.name);
  for (const copy of await cluster.live.list('clustersecret.io/v1', 'ClusterSecret')) {
    const { matchNamespace, data, type } = copy as unknown as { matchNamespace: string[]; type?: string; data: { valueFrom: { secretKeyRef: { name: string; namespace: string; keys: string[] } } } };
    const source = data.valueFrom.secretKeyRef;
    const secret = (await cluster.live.get({ apiVersion: 'v1', kind: 'Secret', metadata: { name: source.name, namespace: source.namespace } })) as K8sObject & { data: Record<string, string> };
    for (const namespace of namespaces.filter((n) => matchNamespace.some((pattern) => n.match(new RegExp(pattern))?.index === 0)))
      await cluster.live.apply({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: copy.metadata.name, namespace },
        ...(type && { type }),
        data: Object.fromEntries(source.keys.map((key) => [key, secret.data[key]!])),
      } as K8sObject);
  }
}

/** A stage's objects as Kargo's promotion builds them: its kustomization, given the Freight's tag. */
async function buildStage(tree: RenderedTree, apps: string[], stage: string): Promise<string> {
  let built = '';
  for (const app of apps) {
    const folder = `workloads/${app}/stages/${stage}`;
    const dir = join(await tempDir(), app);
    await mkdir(dir);
    const kustomization = parse(tree.files.get(`${folder}/kustomization.yaml`)!);
    for (const file of kustomization.resources as string[]) await writeFile(join(dir, file), tree.files.get(`${folder}/${file}`)!);
    const image = (parse(tree.files.get(`${folder}/deployment-${app}.yaml`)!) as { spec: { template: { spec: { containers: { image: string }[] } } } }).spec.template.spec.containers[0]!.image;
    await writeFile(join(dir, 'kustomization.yaml'), stringify({ ...kustomization, images: [{ name: image, newTag: TAG }] }));
    built += `---\n${(await run('kubectl', ['kustomize', dir])).stdout}`;
  }
  return built;
}

/** Every Secret value in a namespace, decoded, by `<secret>.<key>`. */
async function secretValues(namespace: string): Promise<Map<string, string>> {
  const values = new Map<string, string>();
  for (const secret of await cluster.live.list('v1', 'Secret', { namespace }))
    for (const [key, value] of Object.entries((secret as unknown as { data?: Record<string, string> }).data ?? {}))
      values.set(`${secret.metadata.name}.${key}`, Buffer.from(value, 'base64').toString());
  return values;
}

/** The credentials the production stage's apps use, and which of their values also sit in the staging namespace. */
async function productionValuesIn(namespace: string): Promise<string[]> {
  const production = await secretValues('production');
  const passwords = new Set([...production].filter(([name]) => name.endsWith('.password')).map(([, value]) => value));
  expect(passwords.size).toBeGreaterThan(0);
  return [...(await secretValues(namespace))].filter(([, value]) => passwords.has(value)).map(([name]) => name).sort();
}

describe('stage isolation on a control plane', () => {
  it("runs the default config's staging stage with its own credentials: its namespace holds no copy of production's", { timeout: 400_000 }, async () => {
    const resolved = await loadCluster(REPO, undefined, registry);
    const tree = renderTree(resolved, registry);
    const apps = resolved.config.apps.map((a) => a.name);
    for (const app of resolved.config.apps) expect(app.stages).toEqual(['staging', 'production']);

    for (const crd of CRDS) await kubectl(['apply', '--server-side', '-f', join(UPSTREAM, 'crds', crd)]);
    await kubectl(['wait', '--for=condition=Established', '--timeout=60s', '--all', 'crd']);
    for (const namespace of ['databases', 'valkey', 'redpanda', 'staging', 'production']) await kubectl(['create', 'namespace', namespace]);

    // The data components' objects, exactly as rendered, accepted by the API server.
    // Monitoring objects (PodMonitors, rules) hold no data and need the Prometheus Operator's CRDs: left out.
    const data = tree.objects.filter(
      (o) => DATA_COMPONENTS.some((id) => o.file.startsWith(`manifests/${id}/`)) && o.object.kind !== 'Namespace' && !o.object.apiVersion.startsWith('monitoring.coreos.com/'),
    );
    for (const { object } of data) await cluster.live.apply(object);
    await generateSecrets();
    await copySecrets();

    // Both stages, as their promotions build them; every pod runs with its stage's Secrets.
    for (const stage of ['staging', 'production']) await kubectl(['apply', '--server-side', '-f', '-'], await buildStage(tree, apps, stage));
    for (const stage of ['staging', 'production'])
      for (const app of apps)
        await waitFor(`a Running pod of ${app} in ${stage}`, async () => {
          const pods = await cluster.live.list('v1', 'Pod', { namespace: stage, labelSelector: `app.kubernetes.io/name=${app}` });
          return pods.find((p) => (p.status as { phase?: string } | undefined)?.phase === 'Running');
        });

    // Staging holds its own credentials, production's none of them.
    const stagingSecrets = (await cluster.live.list('v1', 'Secret', { namespace: 'staging' })).map((s) => s.metadata.name).sort();
    expect(stagingSecrets).toEqual(['pg-mswa-staging', 'valkey-sessions-staging']);
    expect((await cluster.live.list('v1', 'Secret', { namespace: 'production' })).map((s) => s.metadata.name).sort()).toEqual(['pg-mswa', 'valkey-sessions']);
    expect(await productionValuesIn('staging')).toEqual([]);
    // Each staging pod's references resolve to staging's own Secrets.
    type Env = { valueFrom?: { secretKeyRef?: { name: string } } };
    const pods = (await cluster.live.list('v1', 'Pod', { namespace: 'staging' })) as unknown as { spec: { containers: { env?: Env[] }[] } }[];
    const refs = pods.flatMap((p) => p.spec.containers.flatMap((c) => (c.env ?? []).flatMap((e) => (e.valueFrom?.secretKeyRef ? [e.valueFrom.secretKeyRef.name] : []))));
    expect(new Set(refs)).toEqual(new Set(['pg-mswa-staging', 'valkey-sessions-staging']));

    // The check is real: a config that lets staging share production's database puts production's password there.
    const raw = (await readConfigFile(resolved.file)) as Record<string, any>;
    raw.postgres.databases[0].stages = { staging: { share: 'a test of the check' } };
    const shared = renderTree(resolveCluster(raw, registry), registry);
    const copy = shared.objects.find((o) => o.object.kind === 'ClusterSecret' && o.object.metadata.name === 'pg-mswa')!.object;
    await cluster.live.apply(copy);
    await copySecrets();
    expect(await productionValuesIn('staging')).toEqual(['pg-mswa.password']);
  });
});
