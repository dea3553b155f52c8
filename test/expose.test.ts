import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { runCli, tempDir } from './helpers.ts';

const DOMAIN = 'cis240470.projects.jetstream-cloud.org';

describe('plinth expose', () => {
  it("prints the seed's example Ingress for Argo CD's server, field for field", async () => {
    // The seed exposed Argo CD by hand; with Plinth's own Argo CD Ingress off, nothing else claims the host.
    const dir = await tempDir();
    const config = join(dir, 'plinth.config.json');
    await writeFile(
      config,
      JSON.stringify({ name: 'mswa', domain: DOMAIN, git: { repoURL: 'https://git.example.org/infra.git' }, components: { 'argo-cd': { ingress: false } } }),
    );
    const result = await runCli(['expose', 'argocd-server', '--host', `argocd.${DOMAIN}`, '--namespace', 'argocd', '--config', config]);
    expect(result.code).toBe(0);
    const ingress = parse(result.stdout);
    // The seed names its example argocd-ingress with secret argocd-tls; Plinth derives both from the Service.
    expect(ingress).toEqual({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: {
        name: 'argocd-server-ingress',
        namespace: 'argocd',
        annotations: {
          'external-dns.alpha.kubernetes.io/hostname': `argocd.${DOMAIN}`,
          'traefik.ingress.kubernetes.io/router.entrypoints': 'websecure',
          'cert-manager.io/cluster-issuer': 'letsencrypt-prod',
        },
      },
      spec: {
        ingressClassName: 'traefik',
        tls: [{ hosts: [`argocd.${DOMAIN}`], secretName: 'argocd-server-tls' }],
        rules: [
          {
            host: `argocd.${DOMAIN}`,
            http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'argocd-server', port: { number: 80 } } } }] },
          },
        ],
      },
    });
  });

  it('takes the port and prints JSON with --json', async () => {
    const result = await runCli(['--json', 'expose', 'grafana', '--host', `grafana.${DOMAIN}`, '-n', 'monitoring', '-p', '3000']);
    expect(result.code).toBe(0);
    const ingress = JSON.parse(result.stdout);
    expect(ingress.metadata.namespace).toBe('monitoring');
    expect(ingress.spec.rules[0].http.paths[0].backend.service).toEqual({ name: 'grafana', port: { number: 3000 } });
  });

  it('refuses a host outside the cluster domain, a bad port and a missing host, with exit code 2', async () => {
    const outside = await runCli(['expose', 'web', '--host', 'web.example.com']);
    expect(outside.code).toBe(2);
    expect(outside.stdout).toBe('');
    expect(outside.stderr).toContain(`is outside the cluster domain "${DOMAIN}"`);
    expect(outside.stderr).toContain(`web.${DOMAIN}`);
    const port = await runCli(['expose', 'web', '--host', `web.${DOMAIN}`, '--port', 'http']);
    expect(port.code).toBe(2);
    expect(port.stderr).toContain('--port "http" is not a port number');
    const missing = await runCli(['expose', 'web']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("required option '--host <name>' not specified");
  });

  it("refuses a host a component or an app already serves: two Ingresses would claim it", async () => {
    const kargo = await runCli(['expose', 'web', '--host', `kargo.${DOMAIN}`]);
    expect(kargo.code).toBe(2);
    expect(kargo.stdout).toBe('');
    expect(kargo.stderr).toBe(
      `error: --host "kargo.${DOMAIN}" is already served by the "kargo" component (components.kargo), so two Ingresses would claim it and one would get no traffic\n` +
        `  hint: pick another host under the domain, e.g. "web.${DOMAIN}", or move the component's with components.kargo.host in the config\n`,
    );
    const argo = await runCli(['expose', 'argocd-server', '--host', `argocd.${DOMAIN}`, '-n', 'argocd']);
    expect(argo.code).toBe(2);
    expect(argo.stderr).toContain('is already served by the "argo-cd" component (components["argo-cd"])');
    const app = await runCli(['--json', 'expose', 'status', '--host', `mswa.${DOMAIN}`]);
    expect(app.code).toBe(2);
    expect(JSON.parse(app.stdout).error).toEqual({
      type: 'UsageError',
      message: `--host "mswa.${DOMAIN}" is already served by apps[0] (apps[0].host), so two Ingresses would claim it and one would get no traffic`,
      hint: `pick another host under the domain, e.g. "status.${DOMAIN}"`,
    });
  });

  it('routes the given path prefixes through Traefik middlewares, in order', async () => {
    const result = await runCli([
      '--json', 'expose', 'grafana', '--host', `grafana.${DOMAIN}`, '-n', 'monitoring', '-p', '3000',
      '--path', '/grafana', '--path', '/dashboards', '--middleware', 'strip-grafana', '--middleware', 'traefik/ip-allow', '--middleware', 'auth@file',
    ]);
    expect(result.code).toBe(0);
    const ingress = JSON.parse(result.stdout);
    expect(ingress.metadata.annotations['traefik.ingress.kubernetes.io/router.middlewares']).toBe(
      'monitoring-strip-grafana@kubernetescrd,traefik-ip-allow@kubernetescrd,auth@file',
    );
    expect(ingress.spec.rules[0].http.paths).toEqual([
      { path: '/grafana', pathType: 'Prefix', backend: { service: { name: 'grafana', port: { number: 3000 } } } },
      { path: '/dashboards', pathType: 'Prefix', backend: { service: { name: 'grafana', port: { number: 3000 } } } },
    ]);
    // Without them, the Ingress is as before: "/" and no middleware annotation.
    const plain = JSON.parse((await runCli(['--json', 'expose', 'grafana', '--host', `grafana.${DOMAIN}`])).stdout);
    expect(plain.metadata.annotations['traefik.ingress.kubernetes.io/router.middlewares']).toBeUndefined();
    expect(plain.spec.rules[0].http.paths.map((p: { path: string }) => p.path)).toEqual(['/']);
  });

  it('refuses a path without "/", one Kubernetes refuses, a repeated path and a bad middleware, with exit code 2', async () => {
    const cases: [string[], string, string][] = [
      [['--path', 'api'], 'error: --path "api" does not start with "/": a route is a URL path prefix', 'give a URL path prefix such as "/api/v1"'],
      [['--path', '/a//b'], 'error: --path "/a//b" holds "//", which Kubernetes refuses in an Ingress path', 'give a URL path prefix such as "/api/v1"'],
      [['--path', '/a', '--path', '/a'], 'error: --path "/a" is given twice', 'give each path once'],
      [['--middleware', 'Strip Prefix'], 'error: --middleware "Strip Prefix" is not a Traefik Middleware reference', 'give "name" (a Middleware in the Service\'s namespace), "namespace/name", or "name@provider" such as "auth@file"'],
    ];
    for (const [args, error, hint] of cases) {
      const result = await runCli(['expose', 'web', '--host', `web2.${DOMAIN}`, ...args]);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toBe(`${error}\n  hint: ${hint}\n`);
    }
  });
});
