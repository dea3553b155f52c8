import { createColors } from 'picocolors';
import { describe, expect, it } from 'vitest';
import { describeDoctor } from '../cli/doctor.ts';
import type { DoctorResult } from '../commands/doctor.ts';
import { BOOTSTRAP_HINT } from './doctor.ts';
import { htmlReport } from './report.ts';

const result: DoctorResult = {
  cluster: 'mswa',
  server: 'https://k8s.example.org:6443',
  generatedAt: '2026-06-01T00:00:00.000Z',
  status: 'fail',
  summary: { pass: 1, warn: 0, fail: 1, skip: 1 },
  rootCauses: [],
  requests: 52,
  durationMs: 180,
  features: [
    {
      id: 'external-dns',
      title: 'publishes hosts <in Designate>',
      status: 'fail',
      checks: [
        { name: 'controller', ref: 'Deployment/external-dns/external-dns', status: 'pass', health: 'Healthy', message: '1/1 replicas available' },
        {
          name: 'OpenStack credentials delivered as clouds.yaml',
          ref: 'ExternalSecret/external-dns/external-dns-clouds-yaml',
          status: 'fail',
          health: 'Degraded',
          message: 'could not get secret data from provider; root cause: Secret/plinth-secrets/designate-credentials: does not exist',
          hint: 'the secret input designate-credentials is not in the store: run plinth secrets set designate-credentials OS_AUTH_URL',
          chain: [
            { ref: 'ExternalSecret/external-dns/external-dns-clouds-yaml', health: 'Degraded', message: 'could not get secret data from provider', events: ['UpdateFailed: <script>alert(1)</script>'] },
            { ref: 'Secret/plinth-secrets/designate-credentials', health: 'Missing', message: 'does not exist', why: 'the secret input designate-credentials in the store' },
          ],
        },
        { name: 'records', status: 'skip', message: 'DNSEndpoint is not served' },
      ],
    },
  ],
};

describe('doctor output', () => {
  it('prints a table grouped by feature, with the chain, events and hint of a failing check', () => {
    const text = describeDoctor(result, createColors(false));
    expect(text.split('\n')).toEqual([
      'plinth doctor: mswa https://k8s.example.org:6443, 2026-06-01T00:00:00.000Z',
      '',
      '✗ external-dns publishes hosts <in Designate>',
      '  ✓ pass controller: 1/1 replicas available',
      '  ✗ fail OpenStack credentials delivered as clouds.yaml: could not get secret data from provider; root cause: Secret/plinth-secrets/designate-credentials: does not exist',
      '         <- Secret/plinth-secrets/designate-credentials Missing: does not exist',
      '         hint: the secret input designate-credentials is not in the store: run plinth secrets set designate-credentials OS_AUTH_URL',
      '  - skip records: DNSEndpoint is not served',
      '',
      '✗ 1 pass, 0 warn, 1 fail, 1 skip (52 API requests, 180 ms)',
    ]);
    expect(describeDoctor(result, createColors(true))).toContain('\u001b[31m✗ fail\u001b[39m');
  });

  it('writes one self-contained page that escapes what the cluster says', () => {
    const html = htmlReport(result);
    expect(html).not.toMatch(/<script|<link|\bsrc=|@import|url\(/);
    expect(html).toContain('UpdateFailed: &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('publishes hosts &lt;in Designate&gt;');
    expect(html).toContain('<title>plinth doctor: mswa (fail)</title>');
    expect(html).toContain('<div class="hint">hint: the secret input designate-credentials is not in the store');
    expect(html.match(/<ol class="chain">/g)).toHaveLength(1);
  });

  const blocked: DoctorResult = {
    ...result,
    summary: { pass: 1, warn: 0, fail: 3, skip: 1 },
    rootCauses: [
      {
        id: 'argo-cd',
        status: 'fail',
        title: 'Argo CD is not installed',
        message: 'the cluster serves no Application (argoproj.io/v1alpha1): its CRD is not installed',
        hint: BOOTSTRAP_HINT,
        checks: [
          { feature: 'cert-manager', name: 'synced by Argo CD', status: 'fail' },
          { feature: 'cert-manager', name: 'controller', status: 'fail' },
          { feature: 'cert-manager', name: 'issuer', status: 'skip' },
          { feature: 'public-https', name: 'https://web.example.org', status: 'fail' },
        ],
      },
    ],
    features: [
      {
        id: 'cert-manager',
        title: 'certificates',
        status: 'fail',
        checks: [
          { name: 'synced by Argo CD', ref: 'Application/argocd/cert-manager', status: 'fail', health: 'Missing', message: 'its CRD is not installed', hint: 'repeated', rootCause: 'argo-cd' },
          { name: 'controller', ref: 'Deployment/cert-manager/cert-manager', status: 'fail', health: 'Missing', message: 'does not exist', hint: 'repeated', rootCause: 'argo-cd' },
          { name: 'issuer', status: 'skip', message: 'ClusterIssuer is not served', rootCause: 'argo-cd' },
        ],
      },
      {
        id: 'public-https',
        title: 'public hosts',
        status: 'fail',
        checks: [{ name: 'https://web.example.org', ref: 'Ingress/web/web', status: 'fail', health: 'Missing', message: 'does not exist', hint: 'repeated', rootCause: 'argo-cd' }],
      },
      { id: 'nodes', title: 'nodes', status: 'pass', checks: [{ name: 'node-0 Ready', ref: 'Node/node-0', status: 'pass', health: 'Healthy', message: 'Ready' }] },
    ],
  };

  it('puts a shared root cause first with the thing to do, and collapses the checks that wait on it', () => {
    expect(describeDoctor(blocked, createColors(false)).split('\n')).toEqual([
      'plinth doctor: mswa https://k8s.example.org:6443, 2026-06-01T00:00:00.000Z',
      '',
      '✗ root cause 1: Argo CD is not installed: the cluster serves no Application (argoproj.io/v1alpha1): its CRD is not installed',
      `    do first: ${BOOTSTRAP_HINT}`,
      '    3 checks (and 1 skipped) in 2 features depend on it: cert-manager, public-https',
      '',
      '✗ cert-manager certificates',
      '  ✗ fail 2 checks (and 1 skipped) wait on root cause 1: synced by Argo CD, controller, issuer',
      '',
      '✗ public-https public hosts',
      '  ✗ fail https://web.example.org: does not exist',
      '         -> root cause 1',
      '',
      '✓ nodes nodes',
      '  ✓ pass node-0 Ready: Ready',
      '',
      '✗ 1 pass, 0 warn, 3 fail, 1 skip (52 API requests, 180 ms)',
      `start with root cause 1: ${BOOTSTRAP_HINT}`,
    ]);
  });

  it('shows the root causes first in the report too, each check linking to its cause instead of repeating the hint', () => {
    const html = htmlReport(blocked);
    expect(html.indexOf('id="root-causes"')).toBeLessThan(html.indexOf('id="feature-cert-manager"'));
    expect(html).toContain('<div class="hint">do first: run `plinth bootstrap`');
    expect(html).toContain('<summary>3 checks (and 1 skipped) depend on it</summary>');
    expect(html.match(/<a href="#cause-1">root cause 1: Argo CD is not installed<\/a>/g)).toHaveLength(4);
    expect(html).not.toContain('hint: repeated');
  });
});
