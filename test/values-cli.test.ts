// plinth validate on the Helm values a config sets: through the real CLI, in the table, --json and SARIF.
import { copyFile, mkdir, readdir, symlink, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { minimalCluster, runCli, tempDir, UPSTREAM } from './helpers.ts';

async function configDir(components: Record<string, unknown>): Promise<string> {
  const dir = await tempDir();
  const config = minimalCluster();
  Object.assign(config.components, components);
  await writeFile(join(dir, 'plinth.config.json'), JSON.stringify(config));
  return dir;
}

const TYPOS = {
  'cert-manager': { acmeEmail: 'ops@example.org', values: { crds: { enabld: true } } },
  eraser: { values: { runtimeConfig: { manager: { scanner: { enabled: false } } } } },
  istio: { values: { defaultRevision: 'default', profile: 'ambient' } },
};

describe('plinth validate on Helm values', () => {
  it('fails on a values.schema.json violation, warns on a key values.yaml does not list, and passes valid Istio keys', async () => {
    const dir = await configDir(TYPOS);
    const env = { PLINTH_SCHEMAS_DIR: UPSTREAM };
    const table = await runCli(['validate', '-c', 'plinth.config.json'], { cwd: dir, env });
    expect(table.code).toBe(1);
    const lines = table.stdout.split('\n');
    const at = lines.indexOf('plinth.config.json');
    expect(lines.slice(at, at + 5)).toEqual([
      'plinth.config.json',
      `    ✗ components["cert-manager"].values.crds.enabld: is not a key the chart accepts (cert-manager v1.21.1's values.schema.json): Helm refuses to install the chart [values/schema]`,
      '      hint: did you mean "crds.enabled"?',
      "    ! components.eraser.values.runtimeConfig.manager.scanner: runtimeConfig.manager.scanner.enabled is not a key of chart eraser 1.4.1's default values.yaml: Helm ignores keys a chart does not read, so this setting may do nothing [values/unknown-key]",
      '      hint: did you mean "runtimeConfig.components.scanner.enabled"? (components.eraser.values.runtimeConfig.components.scanner.enabled)',
    ]);
    expect(table.stdout).not.toContain('components.istio');

    const json = JSON.parse((await runCli(['validate', '-c', 'plinth.config.json', '--json'], { cwd: dir, env })).stdout);
    const values = json.findings.filter((f: { rule: string }) => f.rule.startsWith('values/'));
    expect(values.map((f: { path: string; severity: string }) => [f.path, f.severity])).toEqual([
      ['components["cert-manager"].values.crds.enabld', 'error'],
      ['components.eraser.values.runtimeConfig.manager.scanner', 'warning'],
    ]);

    const sarif = JSON.parse((await runCli(['validate', '-c', 'plinth.config.json', '--output', 'sarif'], { cwd: dir, env })).stdout);
    const result = sarif.runs[0].results.find((r: { ruleId: string }) => r.ruleId === 'values/schema');
    expect(result.locations[0].physicalLocation.artifactLocation.uri).toBe('plinth.config.json');
    expect(sarif.runs[0].tool.driver.rules.find((r: { id: string }) => r.id === 'values/schema').shortDescription.text).toBe("A Helm values override the pinned chart's values.schema.json refuses");
  });

  it('the fixed values pass', async () => {
    const dir = await configDir({
      'cert-manager': { acmeEmail: 'ops@example.org', values: { crds: { enabled: true } } },
      eraser: { values: { runtimeConfig: { components: { scanner: { enabled: false } } } } },
    });
    const json = JSON.parse((await runCli(['validate', '-c', 'plinth.config.json', '--json'], { cwd: dir, env: { PLINTH_SCHEMAS_DIR: UPSTREAM } })).stdout);
    expect(json.findings.filter((f: { rule: string }) => f.rule.startsWith('values/'))).toEqual([]);
  });

  it('a schemas directory with CRDs but no values files (pulled before values were) checks no values and says so, without failing', async () => {
    const dir = await configDir(TYPOS);
    const schemas = await tempDir();
    await symlink(join(UPSTREAM, 'crds'), join(schemas, 'crds'));
    const result = await runCli(['validate', '-c', 'plinth.config.json', '--json'], { cwd: dir, env: { PLINTH_SCHEMAS_DIR: schemas } });
    const json = JSON.parse(result.stdout);
    expect(json.findings.filter((f: { rule: string }) => f.rule.startsWith('values/')).map((f: { rule: string; severity: string; hint: string }) => [f.rule, f.severity, f.hint])).toEqual([
      ['values/unchecked', 'info', "run `plinth schemas pull` to fetch the pinned charts' values files, or set PLINTH_SCHEMAS_DIR to a folder holding values/ and schemas/"],
    ]);
    expect(json.errors).toBe(0);
  });
});

describe('plinth validate on the Helm values of hand-written Argo CD Applications', () => {
  const application = (name: string, source: Record<string, unknown>) => ({
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: { name, namespace: 'argocd' },
    spec: { project: 'default', destination: { server: 'https://kubernetes.default.svc', namespace: name }, source },
  });
  const eraser = application('eraser', {
    repoURL: 'https://eraser-dev.github.io/eraser/charts', chart: 'eraser', targetRevision: '1.4.1',
    helm: { valuesObject: { runtimeConfig: { manager: { scanner: { enabled: false } } } } },
  });

  it("in a config's extraObjects, at their config path", async () => {
    const dir = await configDir({ 'argo-cd': { extraObjects: [eraser] } });
    const json = JSON.parse((await runCli(['validate', '-c', 'plinth.config.json', '--json'], { cwd: dir, env: { PLINTH_SCHEMAS_DIR: UPSTREAM } })).stdout);
    expect(json.findings.filter((f: { rule: string }) => f.rule.startsWith('values/')).map((f: { path: string; hint: string }) => [f.path, f.hint])).toEqual([
      [
        'components["argo-cd"].extraObjects[0].spec.source.helm.valuesObject.runtimeConfig.manager.scanner',
        'did you mean "runtimeConfig.components.scanner.enabled"? (components["argo-cd"].extraObjects[0].spec.source.helm.valuesObject.runtimeConfig.components.scanner.enabled)',
      ],
    ]);
  });

  it('in manifests, at a JSON Pointer into the object; a values string is read too, and charts Plinth does not pin are left alone', async () => {
    const dir = await tempDir();
    const certManager = application('cm', { repoURL: 'https://charts.jetstack.io', chart: 'cert-manager', targetRevision: 'v1.21.1', helm: { values: 'crds:\n  enabld: true\n' } });
    const other = application('other', { repoURL: 'https://example.org/charts', chart: 'other', targetRevision: '1.0.0', helm: { valuesObject: { anything: 1 } } });
    await writeFile(join(dir, 'apps.json'), JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [eraser, certManager, other] }));
    const result = await runCli(['validate', 'apps.json', '--json'], { cwd: dir, env: { PLINTH_SCHEMAS_DIR: UPSTREAM } });
    expect(result.code).toBe(1);
    const json = JSON.parse(result.stdout);
    expect(json.findings.filter((f: { rule: string }) => f.rule.startsWith('values/')).map((f: { object: string; path: string; severity: string }) => [f.object, f.path, f.severity])).toEqual([
      ['Application/argocd/cm', '/spec/source/helm/values/crds/enabld', 'error'],
      ['Application/argocd/eraser', '/spec/source/helm/valuesObject/runtimeConfig/manager/scanner', 'warning'],
    ]);
  });
});

describe('plinth schemas pull and chart values', () => {
  it('offline, with the CRDs already up to date, the values files fail fast and clearly, once', async () => {
    const out = await tempDir();
    for (const component of ['keda', 'eraser']) {
      await mkdir(join(out, 'crds', component), { recursive: true });
      for (const file of await readdir(join(UPSTREAM, 'crds', component))) await copyFile(join(UPSTREAM, 'crds', component, file), join(out, 'crds', component, file));
    }
    // A port that was just free: nothing listens there.
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const mirror = `http://127.0.0.1:${port}/crds`;
    const started = Date.now();
    const result = await runCli(['schemas', 'pull', '--from', mirror, '--out', out, '--component', 'keda', 'eraser'], { env: { PLINTH_CACHE_DIR: await tempDir() } });
    expect(result.code).toBe(1);
    expect((Date.now() - started) / 1000).toBeLessThan(3);
    expect(result.stderr).toContain('  keda: 6 CRD files, up to date');
    expect(result.stderr).toMatch(new RegExp(`error: cannot reach 127\\.0\\.0\\.1:${port}: ECONNREFUSED \\(${mirror}/(values|schemas)/[^)]+\\); stopped before trying the other 1 values file$`, 'm'));
    expect(result.stderr.match(/ECONNREFUSED/g)).toHaveLength(1);
  });

  it('a name with neither CRDs nor chart values is a usage error naming both lists', async () => {
    const result = await runCli(['schemas', 'pull', '--out', await tempDir(), '--component', 'kerta'], { env: { PLINTH_CACHE_DIR: await tempDir() } });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('error: no CRDs or chart values known for kerta');
    expect(result.stderr).toMatch(/hint: components with CRDs: .*keda.*; charts with values: .*istiod/);
  });
});
