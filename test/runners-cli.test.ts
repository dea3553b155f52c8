// The runners component through the real CLI: a runner namespace shared with the platform is a config error that
// writes nothing, and a clean config renders, validates and lists its secret input with no render problem.
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempDir, UPSTREAM } from './helpers.ts';

async function configDir(sets: Record<string, unknown>[]): Promise<string> {
  const dir = await tempDir();
  const config = {
    name: 'ci',
    domain: 'ci.example.org',
    git: { repoURL: 'https://git.example.org/platform.git' },
    components: { 'argo-cd': { ingress: false }, 'external-secrets': {}, runners: { sets } },
  };
  await writeFile(join(dir, 'plinth.config.json'), JSON.stringify(config));
  return dir;
}

const env = { PLINTH_SCHEMAS_DIR: UPSTREAM };

describe('plinth with runners', () => {
  it('refuses runners in Argo CD\'s namespace with exit 2, the option\'s path and a fix, and writes nothing', async () => {
    const dir = await configDir([{ name: 'linux', githubConfigUrl: 'https://github.com/acme', namespace: 'argocd' }]);
    const result = await runCli(['render', '--out', 'rendered'], { cwd: dir, env });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      'components.runners.sets[0].namespace: "argocd" is the namespace of Argo CD: runner pods run any workflow\'s code and must not share a namespace with the platform\'s Secrets',
    );
    expect(result.stderr).toContain('hint: give the runners a namespace of their own, e.g. "arc-runners"');
    expect(await readdir(dir)).toEqual(['plinth.config.json']);
  });

  it('renders and validates a clean config, and secrets list shows the GitHub App input with 0 render problems', async () => {
    const dir = await configDir([{ name: 'linux', githubConfigUrl: 'https://github.com/acme', containerMode: 'dind', privileged: 'docker build', storage: { size: '30Gi' } }]);
    expect((await runCli(['render', '--out', 'rendered'], { cwd: dir, env })).code).toBe(0);
    const validated = await runCli(['validate', '--output', 'json', '--strict'], { cwd: dir, env });
    expect(validated.code, validated.stdout.slice(0, 2000)).toBe(0);
    // The privileged runner namespace is an opt-out validate shows with its reason, never an unknown annotation.
    expect((JSON.parse(validated.stdout) as { optOuts: { object: string; policy: string; reason: string }[] }).optOuts).toContainEqual(
      expect.objectContaining({ object: 'Namespace/arc-runners', policy: 'policy/privileged', reason: 'linux: docker build' }),
    );
    const listed = JSON.parse((await runCli(['secrets', 'list', '--json'], { cwd: dir, env })).stdout) as { inputs: { name: string; keys: { key: string }[] }[]; problems: unknown[] };
    expect(listed.problems).toEqual([]);
    expect(listed.inputs.find((i) => i.name === 'runners-github-app')?.keys.map((k) => k.key)).toEqual(['appId', 'installationId', 'privateKey']);
  });
});
