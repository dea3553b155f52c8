// Any other chart through the real CLI: rendered as a component Application, its custom resources validated against
// the CRDs of its `crds` folder in the schemas directory, its values checked where that directory has them.
import { cp, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { configDir, greeterChart, runCli, tempDir, UPSTREAM } from './helpers.ts';

/** The CRD of a team's own operator: not one of the pinned charts, so only a folder the team adds makes it known. */
const GREETING_CRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: greetings.demo.example.org
spec:
  group: demo.example.org
  names: { kind: Greeting, listKind: GreetingList, plural: greetings, singular: greeting }
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              required: [message]
              properties:
                message: { type: string }
                replicas: { type: integer, minimum: 1 }
`;

const greeting = (spec: Record<string, unknown>) => ({ apiVersion: 'demo.example.org/v1', kind: 'Greeting', metadata: { name: 'hello', namespace: 'greetings' }, spec });

const config = (charts: Record<string, unknown>[]) => ({
  name: 'charted',
  domain: 'example.org',
  git: { repoURL: 'https://git.example.org/infra.git' },
  components: { 'argo-cd': { ingress: false } },
  charts,
});

const greeter = {
  ...greeterChart(),
  crds: 'greeter',
  values: { replicaCount: 2 },
  health: [{ kind: 'Deployment', name: 'greeter-operator' }],
  extraObjects: [greeting({ message: 'hello', replicas: 2 })],
};

/** A kiali-operator the schemas directory has values for: its values are checked. */
const kiali = { name: 'mesh-console', repo: 'https://kiali.org/helm-charts', chart: 'kiali-operator', version: '2.29.0', needs: ['greeter'], values: { replicaCont: 2 } };

let schemas: string;
let withoutFolder: string;
beforeAll(async () => {
  const root = await tempDir('plinth-charts-schemas-');
  schemas = join(root, 'with');
  withoutFolder = join(root, 'without');
  for (const dir of [schemas, withoutFolder]) {
    await cp(join(UPSTREAM, 'crds', 'argo-cd'), join(dir, 'crds', 'argo-cd'), { recursive: true });
    await cp(join(UPSTREAM, 'values'), join(dir, 'values'), { recursive: true });
  }
  await mkdir(join(schemas, 'crds', 'greeter'), { recursive: true });
  await writeFile(join(schemas, 'crds', 'greeter', 'greetings.yaml'), GREETING_CRD);
});

const chartsDir = (charts: Record<string, unknown>[]) => configDir(config(charts), 'plinth-charts-');

const validate = async (dir: string, schemasDir: string) => {
  const result = await runCli(['validate', '-c', 'plinth.config.json', '--json'], { cwd: dir, env: { PLINTH_SCHEMAS_DIR: schemasDir, PLINTH_CACHE_DIR: join(dir, '.cache') } });
  return { code: result.code, findings: JSON.parse(result.stdout).findings as { file: string; path: string; rule: string; severity: string; message: string; hint?: string }[], stderr: result.stderr };
};

describe('plinth render and validate with charts', () => {
  it('renders each chart as an Application in its wave, with its custom resources in its own manifests', async () => {
    const dir = await chartsDir([greeter, kiali]);
    const rendered = await runCli(['render', '-c', 'plinth.config.json', '--out', 'rendered'], { cwd: dir });
    expect(rendered.stderr).toBe('');
    expect(rendered.code).toBe(0);
    const application = parse(await readFile(join(dir, 'rendered', 'apps', 'greeter.yaml'), 'utf8'));
    expect(application.metadata.annotations['argocd.argoproj.io/sync-wave']).toBe('1');
    expect(application.spec.sources).toEqual([
      { repoURL: 'ghcr.io/example/charts', chart: 'greeter-operator', targetRevision: '1.4.0', helm: { releaseName: 'greeter', valuesObject: { replicaCount: 2 } } },
      { repoURL: 'https://git.example.org/infra.git', targetRevision: 'main', path: 'rendered/manifests/greeter' },
    ]);
    expect(parse(await readFile(join(dir, 'rendered', 'apps', 'mesh-console.yaml'), 'utf8')).metadata.annotations['argocd.argoproj.io/sync-wave']).toBe('2');
    expect(await readdir(join(dir, 'rendered', 'manifests', 'greeter'))).toEqual(['greeting-hello.yaml']);
    expect(await readFile(join(dir, 'rendered', 'README.md'), 'utf8')).toContain('| 1 | `greeter` | `greetings` | ');

    const graph = JSON.parse((await runCli(['--json', 'graph', '-c', 'plinth.config.json'], { cwd: dir })).stdout);
    expect(JSON.stringify(graph)).toContain('mesh-console');
  });

  it('validates the chart\'s custom resources against the CRDs of its crds folder, and checks the values it has a values.yaml for', async () => {
    const dir = await chartsDir([greeter, kiali]);
    const clean = await validate(dir, schemas);
    expect(clean.findings.filter((f) => f.severity !== 'info')).toEqual([
      expect.objectContaining({ rule: 'values/unknown-key', severity: 'warning', path: 'charts[1].values.replicaCont', hint: 'did you mean "replicaCount"? (charts[1].values.replicaCount)' }),
    ]);
    // No values file for the team's own chart: said once, not a failure.
    expect(clean.findings.find((f) => f.rule === 'values/unchecked')?.message).toContain('charts[0].values (greeter-operator 1.4.0)');
    expect(clean.code).toBe(0);

    const typo = await validate(await chartsDir([{ ...greeter, extraObjects: [greeting({ mesage: 'hello', replicas: 0 })] }]), schemas);
    expect(typo.code).toBe(1);
    expect(typo.findings.filter((f) => f.severity === 'error').map((f) => [f.file, f.path, f.message])).toEqual([
      ['rendered/manifests/greeter/greeting-hello.yaml', '/spec/mesage', 'unknown field "mesage"'],
      ['rendered/manifests/greeter/greeting-hello.yaml', '/spec/message', 'required field "message" is missing'],
      ['rendered/manifests/greeter/greeting-hello.yaml', '/spec/replicas', 'must be >= 1'],
    ]);
  });

  it('says which crds folder is missing when the schemas directory lacks it, beside the kinds it leaves unknown', async () => {
    const missing = await validate(await chartsDir([greeter]), withoutFolder);
    expect(missing.code).toBe(1);
    expect(missing.findings.find((f) => f.rule === 'charts/crds-missing')).toMatchObject({
      file: 'plinth.config.json',
      path: 'charts[0].crds',
      severity: 'warning',
      message: `no folder ${join(withoutFolder, 'crds', 'greeter')}: the kinds chart greeter-operator 1.4.0 serves are unknown to validate`,
    });
    expect(missing.findings.find((f) => f.rule === 'schema/unknown-kind')?.file).toBe('rendered/manifests/greeter/greeting-hello.yaml');
  });

  it('refuses a chart config error with its path and writes nothing', async () => {
    const dir = await chartsDir([{ ...greeter, needs: ['argo-cdd'] }, { ...kiali, name: 'argo-cd' }]);
    const result = await runCli(['render', '-c', 'plinth.config.json', '--out', 'rendered'], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('charts[1].name: "argo-cd" is the name of a Plinth component');
    await expect(readdir(join(dir, 'rendered'))).rejects.toThrow();
  });
});
