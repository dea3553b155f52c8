import { createColors } from 'picocolors';
import { describe, expect, it } from 'vitest';
import { describeDoctor } from '../cli/doctor.ts';
import type { DoctorResult } from '../commands/doctor.ts';
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
});
