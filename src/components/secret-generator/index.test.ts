import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { generatedSecret } from '../../core/conventions.ts';
import type { RenderedTree } from '../../core/render.ts';
import { defineComponent } from '../../core/types.ts';
import type { ConfigIssue } from '../../errors.ts';
import { clusterWith, renderWith, testRegistry, rejectionOf } from '../../../test/components.ts';
import { chartFacts, customResourceProblems } from '../../../test/upstream.ts';
import { secretGenerator } from './index.ts';

/** Stands for any component that generates a password: it must need secret-generator. */
const passwordUser = defineComponent({
  id: 'password-user',
  description: 'test component that generates a password',
  namespace: 'password-user',
  needs: ['secret-generator'],
  options: z.object({}),
  resources: ({ namespace }) => [generatedSecret({ name: 'pg-app', namespace, generate: { password: 32 }, data: { username: 'app' } })],
});

const registry = testRegistry(secretGenerator, passwordUser);
const base = { 'argo-cd': {}, 'cert-manager': { acmeEmail: 'ops@example.org' } };
const render = (options: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) =>
  renderWith(registry, { ...base, 'secret-generator': options, ...extra });
const application = (tree: RenderedTree) =>
  tree.objects.find((o) => o.object.kind === 'Application' && o.object.metadata.name === 'secret-generator')!.object as Record<string, any>;

function issuesOf(components: Record<string, unknown>): ConfigIssue[] {
  const config = clusterWith({ ...base, ...components });
  return rejectionOf(config, registry);
}

describe('secret-generator', () => {
  it('installs the pinned chart, watching every namespace, and renders nothing of its own', async () => {
    const tree = render();
    const fact = (await chartFacts()).find((f) => f.component === 'kubernetes-secret-generator')!;
    const app = application(tree);
    expect(app.metadata.annotations).toEqual({ 'argocd.argoproj.io/sync-wave': '0' });
    expect(app.spec.destination).toEqual({ server: 'https://kubernetes.default.svc', namespace: 'secret-generator' });
    expect(app.spec.sources).toEqual([
      {
        repoURL: fact.chartRepo,
        chart: fact.chart,
        targetRevision: fact.version,
        helm: {
          releaseName: 'kubernetes-secret-generator',
          valuesObject: { watchNamespace: '', image: { pullPolicy: 'IfNotPresent' } },
        },
      },
    ]);
    expect(tree.objects.filter((o) => o.owner === 'secret-generator')).toEqual([]);
    expect([...tree.files.keys()].filter((f) => f.startsWith('manifests/secret-generator/'))).toEqual([]);
  });

  it('watches only the listed namespaces when given', () => {
    const values = application(render({ namespaces: ['databases', 'production'] })).spec.sources[0].helm.valuesObject;
    expect(values.watchNamespace).toBe('databases,production');
  });

  it('rejects namespaces that are not a list of DNS labels, naming the path', () => {
    expect(issuesOf({ 'secret-generator': { namespaces: 'databases' } })).toEqual([
      { path: 'components["secret-generator"].namespaces', message: 'must be an array, got string "databases"' },
    ]);
    expect(issuesOf({ 'secret-generator': { namespaces: ['-db'] } })).toEqual([
      {
        path: 'components["secret-generator"].namespaces[0]',
        message: '"-db" must be a DNS label: lowercase letters, digits and "-", at most 63, starting and ending alphanumeric',
      },
    ]);
  });

  it('is what a component generating passwords needs: without it the config is rejected', () => {
    expect(issuesOf({ 'password-user': {} })).toEqual([
      {
        path: 'components["password-user"]',
        message: '"password-user" needs "secret-generator", which is not enabled',
        hint: 'enable it with components: { "secret-generator": {} } or remove "password-user"',
      },
    ]);
    const tree = render({}, { 'password-user': {} });
    const waves = Object.fromEntries(tree.components.map((c) => [c.id, c.wave]));
    expect(waves['secret-generator']).toBe(0);
    expect(waves['password-user']).toBe(1);
  });

  it('fills StringSecrets as generatedSecret() renders them, which the upstream CRD accepts', async () => {
    const tree = render({}, { 'password-user': {} });
    const secrets = tree.objects.filter((o) => o.object.kind === 'StringSecret');
    expect(secrets).toHaveLength(1);
    expect(secrets[0]!.object).toMatchObject({
      apiVersion: 'secretgenerator.mittwald.de/v1alpha1',
      spec: { forceRegenerate: false, data: { username: 'app' }, fields: [{ fieldName: 'password', encoding: 'base64url', length: '32' }] },
    });
    expect(await customResourceProblems(tree.objects)).toEqual([]);
    const typo = { ...secrets[0]!, object: { ...secrets[0]!.object, spec: { fields: [{ fieldName: 'password', lenght: '32' }] } } };
    expect(await customResourceProblems([typo])).not.toEqual([]);
  });

  it('has no upstream values schema to check against', async () => {
    const fact = (await chartFacts()).find((f) => f.component === 'kubernetes-secret-generator') as unknown as { valuesSchema: unknown };
    expect(fact.valuesSchema).toBeNull();
  });

  it('declares the operator Deployment as its health check and no secret inputs', () => {
    const component = render({ namespace: 'generators' }).components.find((c) => c.id === 'secret-generator')!;
    expect(component.secrets).toEqual([]);
    expect(component.health).toEqual([
      { description: 'operator', apiVersion: 'apps/v1', kind: 'Deployment', name: 'kubernetes-secret-generator', namespace: 'generators' },
    ]);
  });
});
