import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { accessList, offboard, onboard } from '../../src/commands/access.ts';
import { runCli, tempDir, minimalCluster } from '../helpers.ts';
import { useControlPlane } from './live.ts';

const cluster = useControlPlane();

interface Response {
  status: number;
  body: any;
}

/** Requests as the member would send them: only what their kubeconfig holds (server, CA, token). */
function asMember(kubeconfig: string) {
  const config = parse(readFileSync(kubeconfig, 'utf8'));
  const server = new URL(config.clusters[0].cluster.server);
  const ca = Buffer.from(config.clusters[0].cluster['certificate-authority-data'], 'base64');
  const token: string = config.users[0].user.token;
  const send = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> =>
    new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = request(
        {
          hostname: server.hostname,
          port: server.port,
          path,
          method,
          ca,
          headers: {
            Authorization: `Bearer ${token}`,
            Accept: 'application/json',
            ...(payload && { 'Content-Type': path.includes('resourcequotas') ? 'application/merge-patch+json' : 'application/json' }),
            ...headers,
          },
        },
        (res) => {
          let text = '';
          res.on('data', (chunk) => (text += chunk));
          res.on('end', () => {
            let parsed: unknown = text;
            try {
              parsed = JSON.parse(text);
            } catch {
              // plain text
            }
            resolve({ status: res.statusCode ?? 0, body: parsed });
          });
        },
      );
      req.on('error', reject);
      if (payload) req.write(payload);
      req.end();
    });
  return { send, token, namespace: config.contexts[0].context.namespace as string };
}

/** Denied by RBAC, as opposed to failing later (e.g. the test cluster's fake kubelet refusing a connection). */
const forbiddenByRbac = (response: Response) =>
  response.status === 403 && response.body?.reason === 'Forbidden' && /cannot|forbidden/.test(response.body?.message ?? '');

async function configDir(): Promise<string> {
  const dir = await tempDir('plinth-onboard-');
  const config = minimalCluster();
  config.components.devpod = { quota: { cpu: '2', memory: '4Gi' } };
  writeFileSync(join(dir, 'plinth.config.json'), JSON.stringify(config));
  return dir;
}

const pod = (name: string) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name },
  spec: { containers: [{ name: 'workspace', image: 'docker.io/library/alpine:3.20', command: ['sleep', 'infinity'] }] },
});

describe('plinth onboard / offboard on a real API server (RBAC on)', () => {
  it('gives a member their namespace and a token that can run the app there, and nothing else', async () => {
    const dir = await configDir();
    const options = { kubeconfig: cluster.control.kubeconfig, ttl: '2h', out: join(dir, 'alice.kubeconfig') };
    const result = await onboard('alice', options, cluster.context(dir));
    expect(result.namespace).toBe('devpod-alice');
    expect(statSync(result.kubeconfig).mode & 0o777).toBe(0o600);
    expect(result.devpod).toBe(
      `devpod provider add kubernetes --option KUBERNETES_CONFIG=${result.kubeconfig} --option KUBERNETES_CONTEXT=alice@test ` +
        '--option KUBERNETES_NAMESPACE=devpod-alice --option CREATE_NAMESPACE=false',
    );
    const lifetime = new Date(result.expiresAt).getTime() - Date.now();
    expect(lifetime).toBeGreaterThan(110 * 60_000);
    expect(lifetime).toBeLessThanOrEqual(2 * 3600_000);

    const alice = asMember(result.kubeconfig);
    expect(alice.namespace).toBe('devpod-alice');
    const ns = '/api/v1/namespaces/devpod-alice';
    // The namespace's default ServiceAccount comes from the controller-manager a moment after the namespace.
    let created: Response;
    for (let attempt = 0; ; attempt++) {
      created = await alice.send('POST', `${ns}/pods`, pod('workspace'));
      if (created.status !== 403 || forbiddenByRbac(created) || attempt > 50) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect((await alice.send('GET', `${ns}/pods`)).status).toBe(200);

    // Exec and logs pass authorization; the API server then dials the (fake) kubelet, which the test cluster refuses.
    const exec = await alice.send('POST', `${ns}/pods/workspace/exec?command=true&stdout=true`);
    expect(forbiddenByRbac(exec), JSON.stringify(exec.body)).toBe(false);
    const logs = await alice.send('GET', `${ns}/pods/workspace/log`);
    expect(forbiddenByRbac(logs), JSON.stringify(logs.body)).toBe(false);
    const review = await alice.send('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      spec: { resourceAttributes: { namespace: 'devpod-alice', verb: 'create', resource: 'pods', subresource: 'exec' } },
    });
    expect(review.body.status.allowed).toBe(true);

    expect(forbiddenByRbac(await alice.send('GET', '/api/v1/namespaces/kube-system/secrets')), 'secrets of another namespace').toBe(true);
    expect(forbiddenByRbac(await alice.send('GET', '/api/v1/namespaces/plinth-secrets/secrets')), 'the secret store').toBe(true);
    expect(
      forbiddenByRbac(
        await alice.send('POST', '/apis/rbac.authorization.k8s.io/v1/clusterroles', {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'ClusterRole',
          metadata: { name: 'alice-admin' },
          rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }],
        }),
      ),
      'create a ClusterRole',
    ).toBe(true);
    expect(
      forbiddenByRbac(
        await alice.send('POST', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'ClusterRoleBinding',
          metadata: { name: 'alice-admin' },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
          subjects: [{ kind: 'ServiceAccount', name: 'alice', namespace: 'devpod-alice' }],
        }),
      ),
      'create a ClusterRoleBinding',
    ).toBe(true);
    expect(
      forbiddenByRbac(
        await alice.send('POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/devpod-alice/rolebindings`, {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'RoleBinding',
          metadata: { name: 'escalate' },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
          subjects: [{ kind: 'ServiceAccount', name: 'alice', namespace: 'devpod-alice' }],
        }),
      ),
      'escalate through a RoleBinding to cluster-admin',
    ).toBe(true);
    expect(forbiddenByRbac(await alice.send('GET', '/api/v1/nodes')), 'read nodes').toBe(true);
    expect(
      forbiddenByRbac(await alice.send('PATCH', `${ns}/resourcequotas/devpod`, { spec: { hard: { 'limits.cpu': '64' } } })),
      'edit the quota of her own namespace',
    ).toBe(true);
    expect(
      forbiddenByRbac(await alice.send('GET', `${ns}/pods`, undefined, { 'Impersonate-User': 'system:admin' })),
      'impersonate',
    ).toBe(true);
    expect(forbiddenByRbac(await alice.send('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'alice-2' } })), 'create namespaces').toBe(true);

    // The quota holds: a pod above it is refused by admission, whatever RBAC allows.
    const greedy = await alice.send('POST', `${ns}/pods`, {
      ...pod('greedy'),
      spec: { containers: [{ name: 'x', image: 'alpine:3.20', resources: { limits: { cpu: '8', memory: '1Gi' } } }] },
    });
    expect(greedy.status).toBe(403);
    expect(greedy.body.message).toContain('exceeded quota');

    const entries = await accessList({ kubeconfig: cluster.control.kubeconfig }, cluster.context(dir));
    expect(entries).toEqual([expect.objectContaining({ member: 'alice', namespace: 'devpod-alice', expiresAt: result.expiresAt, expired: false })]);

    const revoked = await offboard('alice', { kubeconfig: cluster.control.kubeconfig }, cluster.context(dir));
    expect(revoked).toEqual({ member: 'alice', namespace: 'devpod-alice', revoked: true, namespaceDeleted: false });
    // Deleting the ServiceAccount invalidates the token at once: the API server no longer authenticates it.
    let after: Response;
    for (let attempt = 0; ; attempt++) {
      after = await alice.send('GET', `${ns}/pods`);
      if (after.status === 401 || attempt > 50) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(after.status).toBe(401);
    expect(await accessList({ kubeconfig: cluster.control.kubeconfig }, cluster.context(dir))).toEqual([]);
    // Her workloads stay until asked: offboard --delete-namespace removes them.
    expect(await cluster.live.get({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'devpod-alice' } })).toBeDefined();
    const removed = await offboard('alice', { kubeconfig: cluster.control.kubeconfig, deleteNamespace: true }, cluster.context(dir));
    expect(removed.namespaceDeleted).toBe(true);
  });

  it('never prints the token, in text or JSON, and refuses what it cannot do with a clear error', async () => {
    const dir = await configDir();
    const env = { KUBECONFIG: cluster.control.kubeconfig };
    const text = await runCli(['onboard', 'bob', '--ttl', '1h', '--out', join(dir, 'bob.kubeconfig')], { cwd: dir, env });
    expect(text.code, text.stderr).toBe(0);
    const { token } = asMember(join(dir, 'bob.kubeconfig'));
    expect(token.length).toBeGreaterThan(100);
    expect(text.stdout).toContain('devpod provider add kubernetes');
    const json = await runCli(['--json', 'onboard', 'bob', '--out', join(dir, 'bob-2.kubeconfig')], { cwd: dir, env });
    expect(json.code, json.stderr).toBe(0);
    const second = asMember(join(dir, 'bob-2.kubeconfig')).token;
    expect(JSON.parse(json.stdout)).toMatchObject({ member: 'bob', namespace: 'devpod-bob' });
    const list = await runCli(['--json', 'access', 'list'], { cwd: dir, env });
    expect(JSON.parse(list.stdout).map((e: { member: string }) => e.member)).toEqual(['bob']);
    for (const output of [text.stdout, text.stderr, json.stdout, json.stderr, list.stdout, list.stderr]) {
      expect(output).not.toContain(token);
      expect(output).not.toContain(second);
    }

    const badTtl = await runCli(['onboard', 'carol', '--ttl', '5m'], { cwd: dir, env });
    expect(badTtl.code).toBe(2);
    expect(badTtl.stderr).toContain('shorter than the 10 minutes');
    const unknown = await runCli(['offboard', 'nobody'], { cwd: dir, env });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('nobody has no access in namespace devpod-nobody');
    const off = await runCli(['offboard', 'bob', '--delete-namespace'], { cwd: dir, env });
    expect(off.code, off.stderr).toBe(0);
  });
});
