import { describe, expect, it } from 'vitest';
import { registry } from '../components/index.ts';
import { resolveCluster } from '../config/validate.ts';
import { ConfigError } from '../errors.ts';
import { minimalCluster } from '../../test/helpers.ts';
import { renderTree } from './render.ts';
import { deepMerge, patchProblems, strategicMerge } from './merge.ts';

const container = {
  name: 'api',
  image: 'ghcr.io/example/api',
  ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
  env: [
    { name: 'PORT', value: '8080' },
    { name: 'PGPASSWORD', valueFrom: { secretKeyRef: { name: 'pg-app', key: 'password' } } },
  ],
  livenessProbe: { httpGet: { path: '/healthz', port: 'http' } },
  securityContext: { runAsNonRoot: true, readOnlyRootFilesystem: true },
  volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
};
const deployment = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  spec: { template: { spec: { containers: [container], volumes: [{ name: 'tmp', emptyDir: {} }] } } },
};
const podSpec = (patch: Record<string, unknown>) => (strategicMerge(deployment, { spec: { template: { spec: patch } } }) as any).spec.template.spec;

describe('deepMerge (Helm values)', () => {
  it('merges objects and replaces lists', () => {
    expect(deepMerge({ a: { b: 1, c: [1, 2] } }, { a: { c: [3] } })).toEqual({ a: { b: 1, c: [3] } });
  });
});

describe('strategicMerge (deployment patches)', () => {
  it('merges a container by name, keeping every field the patch does not name', () => {
    const spec = podSpec({ containers: [{ name: 'api', resources: { limits: { 'nvidia.com/gpu': 1 } }, env: [{ name: 'LOG_LEVEL', value: 'debug' }] }] });
    expect(spec.containers).toHaveLength(1);
    expect(spec.containers[0]).toEqual({
      ...container,
      resources: { limits: { 'nvidia.com/gpu': 1 } },
      env: [...container.env, { name: 'LOG_LEVEL', value: 'debug' }],
    });
  });

  it('merges env, ports and volumes by name and volumeMounts by mountPath', () => {
    const spec = podSpec({
      containers: [
        {
          name: 'api',
          env: [{ name: 'PORT', value: '3000' }],
          ports: [{ name: 'http', containerPort: 3000 }, { name: 'metrics', containerPort: 9090 }],
          volumeMounts: [{ mountPath: '/tmp', name: 'scratch' }, { name: 'cache', mountPath: '/cache' }],
        },
      ],
      volumes: [{ name: 'tmp', emptyDir: { sizeLimit: '1Gi' } }, { name: 'cache', emptyDir: {} }],
    });
    const [merged] = spec.containers;
    expect(merged.env).toEqual([{ name: 'PORT', value: '3000' }, container.env[1]]);
    expect(merged.ports).toEqual([
      { name: 'http', containerPort: 3000, protocol: 'TCP' },
      { name: 'metrics', containerPort: 9090 },
    ]);
    expect(merged.volumeMounts).toEqual([{ name: 'scratch', mountPath: '/tmp' }, { name: 'cache', mountPath: '/cache' }]);
    expect(spec.volumes).toEqual([{ name: 'tmp', emptyDir: { sizeLimit: '1Gi' } }, { name: 'cache', emptyDir: {} }]);
  });

  it('appends a new container and an init container without restating the app container', () => {
    const spec = podSpec({
      initContainers: [{ name: 'wait', image: 'busybox', command: ['true'] }],
      containers: [{ name: 'sidecar', image: 'ghcr.io/example/sidecar' }],
    });
    expect(spec.containers.map((c: { name: string }) => c.name)).toEqual(['api', 'sidecar']);
    expect(spec.containers[0]).toEqual(container);
    expect(spec.initContainers).toEqual([{ name: 'wait', image: 'busybox', command: ['true'] }]);
  });

  it('removes a key given null and a named item given $patch: delete', () => {
    const spec = podSpec({
      containers: [{ name: 'api', livenessProbe: null, env: [{ name: 'PORT', $patch: 'delete' }, { name: 'ABSENT', $patch: 'delete' }] }],
    });
    expect(spec.containers[0].livenessProbe).toBeUndefined();
    expect('livenessProbe' in spec.containers[0]).toBe(false);
    expect(spec.containers[0].env).toEqual([container.env[1]]);
  });

  it('replaces a list given a { $patch: replace } item, and an object given $patch: replace', () => {
    const spec = podSpec({
      volumes: [{ $patch: 'replace' }, { name: 'data', emptyDir: {} }],
      containers: [{ name: 'api', securityContext: { $patch: 'replace', runAsUser: 0 } }],
    });
    expect(spec.volumes).toEqual([{ name: 'data', emptyDir: {} }]);
    expect(spec.containers[0].securityContext).toEqual({ runAsUser: 0 });
  });

  it('replaces lists that are not named, as before', () => {
    const spec = podSpec({ containers: [{ name: 'api', command: ['node', 'server.js'] }], tolerations: [{ key: 'gpu', operator: 'Exists' }] });
    expect(spec.containers[0].command).toEqual(['node', 'server.js']);
    expect(strategicMerge({ args: ['a', 'b'] }, { args: ['c'] })).toEqual({ args: ['c'] });
  });

  it('leaves its inputs untouched', () => {
    const before = structuredClone(deployment);
    podSpec({ containers: [{ name: 'api', env: [{ name: 'PORT', $patch: 'delete' }] }], volumes: [{ $patch: 'replace' }] });
    expect(deployment).toEqual(before);
  });
});

describe('patchProblems', () => {
  it('accepts the directives and named items', () => {
    expect(
      patchProblems({ spec: { containers: [{ name: 'a', env: [{ name: 'X', $patch: 'delete' }] }], volumes: [{ $patch: 'replace' }, { name: 'v' }] } }),
    ).toEqual([]);
  });

  it('reports an unknown directive, a misplaced replace and an unnamed item, with their paths', () => {
    const problems = patchProblems(
      { spec: { $patch: 'merge', containers: [{ image: 'x' }, { name: 'a', volumeMounts: [{ name: 'tmp' }] }], volumes: [{ $patch: 'replace', name: 'v' }] } },
      ['apps', 0, 'deployment'],
    );
    expect(problems.map((p) => [p.path.join('.'), p.message])).toEqual([
      ['apps.0.deployment.spec.$patch', 'unknown merge directive "merge"'],
      ['apps.0.deployment.spec.containers.0.name', 'an item of "containers" needs its "name": items merge by it'],
      ['apps.0.deployment.spec.containers.1.volumeMounts.0.mountPath', 'an item of "volumeMounts" needs its "mountPath": items merge by it'],
      ['apps.0.deployment.spec.volumes.0.$patch', 'a "replace" directive in a list stands alone as an item'],
    ]);
    for (const problem of problems) expect(problem.hint).toMatch(/\$patch|replace/);
  });
});

describe("an app's deployment patch", () => {
  it('merges into the rendered Deployment without restating the container', () => {
    const config = minimalCluster();
    config.apps[1].deployment = { spec: { template: { spec: { containers: [{ name: 'api', env: [{ name: 'EXTRA', value: '1' }] }] } } } };
    const tree = renderTree(resolveCluster(config, registry), registry);
    const deployment = tree.objects.find((o) => o.object.kind === 'Deployment' && o.object.metadata.name === 'api')!.object as any;
    const [api] = deployment.spec.template.spec.containers;
    expect(api.image).toBe('ghcr.io/example/api');
    expect(api.securityContext.readOnlyRootFilesystem).toBe(true);
    expect(api.env.map((e: { name: string }) => e.name)).toEqual(['PORT', 'PGHOST', 'PGPORT', 'PGDATABASE', 'PGUSER', 'PGPASSWORD', 'DATABASE_URL', 'KAFKA_BROKERS', 'KAFKA_PRODUCE_TOPICS', 'EXTRA']);
  });

  it('is a config error with the path and a hint when an item cannot be merged', () => {
    const config = minimalCluster();
    config.apps[1].deployment = { spec: { template: { spec: { containers: [{ image: 'x' }] } } } };
    const error = (() => {
      try {
        resolveCluster(config, registry);
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues).toEqual([
      {
        path: 'apps[1].deployment.spec.template.spec.containers[0].name',
        message: 'an item of "containers" needs its "name": items merge by it',
        hint: 'give the item the "name" it has (or will have) in the rendered object, or replace the whole list with a { $patch: "replace" } item',
      },
    ]);
  });
});
