import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DoctorResult } from '../src/commands/doctor.ts';
import { BOOTSTRAP_HINT } from '../src/health/doctor.ts';
import { htmlReport } from '../src/health/report.ts';
import { launchChromium, tempDir } from './helpers.ts';

const GREEN = 'rgb(26, 127, 55)';
const RED = 'rgb(207, 34, 46)';

const result: DoctorResult = {
  cluster: 'mswa',
  server: 'https://k8s.example.org:6443',
  generatedAt: '2026-06-01T00:00:00.000Z',
  status: 'fail',
  summary: { pass: 2, warn: 0, fail: 2, skip: 0 },
  requests: 40,
  durationMs: 90,
  rootCauses: [
    {
      id: 'argo-cd',
      status: 'fail',
      title: 'Argo CD is not installed',
      message: 'the cluster serves no Application (argoproj.io/v1alpha1): its CRD is not installed',
      hint: BOOTSTRAP_HINT,
      checks: [
        { feature: 'keda', name: 'synced by Argo CD', status: 'fail' },
        { feature: 'keda', name: 'operator', status: 'fail' },
      ],
    },
  ],
  features: [
    {
      id: 'keda',
      title: 'KEDA',
      status: 'fail',
      checks: [
        { name: 'CRDs installed', status: 'pass', message: 'ScaledObject served' },
        { name: 'synced by Argo CD', ref: 'Application/argocd/keda', status: 'fail', health: 'Missing', message: 'its CRD is not installed', rootCause: 'argo-cd' },
        { name: 'operator', ref: 'Deployment/keda/keda-operator', status: 'fail', health: 'Missing', message: 'does not exist', rootCause: 'argo-cd' },
      ],
    },
    { id: 'nodes', title: 'nodes', status: 'pass', checks: [{ name: 'node-0 Ready', ref: 'Node/node-0', status: 'pass', health: 'Healthy', message: 'Ready' }] },
  ],
};

describe('the doctor report in a browser', () => {
  it('colours each row by its own status: a passing check inside a failing feature is green, not red', async () => {
    const file = join(await tempDir(), 'report.html');
    await writeFile(file, htmlReport(result));
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.goto(`file://${file}`);
      type Window = { getComputedStyle(element: unknown): { color: string } };
      const colour = (selector: string) => page.locator(selector).first().evaluate((element) => (globalThis as unknown as Window).getComputedStyle(element).color);
      expect(await colour('#feature-keda tr.pass td.mark')).toBe(GREEN);
      expect(await colour('#feature-keda tr.fail td.mark')).toBe(RED);
      expect(await colour('#feature-keda > h2 .mark')).toBe(RED);
      expect(await colour('#feature-nodes tr.pass td.mark')).toBe(GREEN);
      expect(await colour('#cause-1 h3 .mark')).toBe(RED);
      // The root cause comes first and says what to do; the checks under it link to it.
      const cause = page.locator('#root-causes .cause').first();
      expect(await cause.locator('.hint').innerText()).toContain('plinth bootstrap');
      expect(await cause.isVisible()).toBe(true);
      await page.locator('#feature-keda tr.fail .blocked a').first().click();
      expect(page.url()).toMatch(/#cause-1$/);
    } finally {
      await browser.close();
    }
  });
});
