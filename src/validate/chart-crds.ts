import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatPath } from '../config/paths.ts';
import type { ClusterConfig } from '../config/schema.ts';
import { readYamlAll } from '../core/yaml.ts';
import type { Finding } from './finding.ts';

/**
 * What validate cannot check about the charts' CRDs: a `crds` folder that the schemas directory lacks, or that holds no
 * CustomResourceDefinition, leaves the chart's kinds unknown (every such object is then `schema/unknown-kind`).
 */
export async function chartCrdFindings(config: Pick<ClusterConfig, 'charts'>, schemasDir: string, file: string): Promise<Finding[]> {
  const findings: Finding[] = [];
  for (const [i, chart] of config.charts.entries()) {
    if (!chart.crds) continue;
    const dir = join(schemasDir, 'crds', chart.crds);
    let count = 0;
    let readable = true;
    try {
      for (const name of (await readdir(dir, { recursive: true })).filter((f) => /\.ya?ml$/.test(f)).sort())
        count += (readYamlAll(await readFile(join(dir, name), 'utf8')) as { kind?: unknown }[]).filter((d) => d?.kind === 'CustomResourceDefinition').length;
    } catch {
      readable = false;
    }
    if (count > 0) continue;
    findings.push({
      file,
      document: 1,
      object: '',
      path: formatPath(['charts', i, 'crds']),
      rule: 'charts/crds-missing',
      severity: 'warning',
      message: readable
        ? `${dir} holds no CustomResourceDefinition: the kinds chart ${chart.chart} ${chart.version} serves are unknown to validate`
        : `no folder ${dir}: the kinds chart ${chart.chart} ${chart.version} serves are unknown to validate`,
      hint: `put the chart's CRD files (its crds/ folder, at version ${chart.version}) in ${dir}`,
    });
  }
  return findings;
}
