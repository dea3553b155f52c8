import type { Finding, Severity, Subject } from './finding.ts';
import type { OptOut } from './rules/policies.ts';

/** What `plinth validate` found, as every output format reads it. */
export interface ValidateReport {
  /** What was validated: a config file's render or manifest paths. */
  source: string;
  files: number;
  objects: number;
  errors: number;
  warnings: number;
  infos: number;
  /** Whether warnings fail the run (`--strict`). */
  strict: boolean;
  /** Whether the run fails: any error, or any warning with --strict. */
  failed: boolean;
  findings: Finding[];
  /** Schemas used: the CRD directory and the built-in source. */
  schemas: { crds: string; crdVersions: number; builtin: string };
  /** Objects that opt out of a policy, each with its reason, so no exemption passes unseen. */
  optOuts: OptOut[];
}

export function summarize(findings: Finding[], strict: boolean): Pick<ValidateReport, 'errors' | 'warnings' | 'infos' | 'failed'> {
  const count = (s: Severity) => findings.filter((f) => f.severity === s).length;
  const errors = count('error');
  const warnings = count('warning');
  return { errors, warnings, infos: count('info'), failed: errors > 0 || (strict && warnings > 0) };
}

const xml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!).replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '');

const objectName = (subject: Subject) => {
  const { kind, metadata } = subject.object;
  return `${kind}/${metadata?.namespace ? `${metadata.namespace}/` : ''}${metadata?.name ?? '(no name)'}`;
};

const describe = (f: Finding) => `${f.path || '/'}: ${f.message} [${f.rule}]${f.hint ? `\nhint: ${f.hint}` : ''}`;

/**
 * JUnit XML: one test suite per file, one test case per object (and one per input problem that has no
 * object). A case fails on an error, or on a warning with --strict; other findings go to its system-out.
 */
export function toJunit(report: ValidateReport, subjects: Subject[]): string {
  const cases = new Map<string, { name: string; findings: Finding[] }[]>();
  const byObject = new Map<string, { name: string; findings: Finding[] }>();
  const caseFor = (file: string, document: number, name: string) => {
    const key = `${file}\u0000${document}\u0000${name}`;
    let c = byObject.get(key);
    if (!c) {
      byObject.set(key, (c = { name, findings: [] }));
      cases.set(file, [...(cases.get(file) ?? []), c]);
    }
    return c;
  };
  for (const subject of subjects) caseFor(subject.file, subject.document, objectName(subject));
  for (const finding of report.findings) caseFor(finding.file, finding.document, finding.object || finding.file).findings.push(finding);
  const fails = (f: Finding) => f.severity === 'error' || (report.strict && f.severity === 'warning');
  let tests = 0;
  let failures = 0;
  const suites: string[] = [];
  for (const [file, list] of [...cases].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const failed = list.filter((c) => c.findings.some(fails)).length;
    tests += list.length;
    failures += failed;
    const body = list.map((c) => {
      const failing = c.findings.filter(fails);
      const other = c.findings.filter((f) => !fails(f));
      return (
        `    <testcase classname="${xml(file)}" name="${xml(c.name)}">\n` +
        failing.map((f) => `      <failure type="${xml(f.rule)}" message="${xml(`${f.path || '/'}: ${f.message}`)}">${xml(describe(f))}</failure>\n`).join('') +
        (other.length ? `      <system-out>${xml(other.map((f) => `${f.severity}: ${describe(f)}`).join('\n'))}</system-out>\n` : '') +
        '    </testcase>\n'
      );
    });
    suites.push(`  <testsuite name="${xml(file)}" tests="${list.length}" failures="${failed}" errors="0" skipped="0">\n${body.join('')}  </testsuite>\n`);
  }
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="plinth validate" tests="${tests}" failures="${failures}" errors="0">\n${suites.join('')}</testsuites>\n`;
}

const SARIF_LEVEL: Record<Severity, string> = { error: 'error', warning: 'warning', info: 'note' };

/** SARIF 2.1.0, as GitHub code scanning reads it: one result per finding, located at the document's first line. */
export function toSarif(report: ValidateReport, lines: Map<string, number[]>, version: string): object {
  const rules = [...new Set(report.findings.map((f) => f.rule))].sort();
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'plinth',
            version,
            rules: rules.map((id) => ({ id, shortDescription: { text: RULE_DESCRIPTIONS[id.split('/').slice(0, 2).join('/')] ?? RULE_DESCRIPTIONS[id.split('/')[0]!] ?? id } })),
          },
        },
        results: report.findings.map((f) => ({
          ruleId: f.rule,
          ruleIndex: rules.indexOf(f.rule),
          level: SARIF_LEVEL[f.severity],
          message: { text: `${f.object ? `${f.object} ` : ''}${f.path || '/'}: ${f.message}${f.hint ? ` (hint: ${f.hint})` : ''}` },
          locations: [
            {
              physicalLocation: {
                artifactLocation: { uri: f.file.split('\\').join('/') },
                region: { startLine: Math.max(1, lines.get(f.file)?.[f.document - 1] ?? 1) },
              },
              ...(f.object ? { logicalLocations: [{ fullyQualifiedName: `${f.object}${f.path}`, kind: 'object' }] } : {}),
            },
          ],
        })),
      },
    ],
  };
}

const RULE_DESCRIPTIONS: Record<string, string> = {
  schema: 'The object does not match its Kubernetes or CRD schema',
  'schema/cel': 'A CEL rule (x-kubernetes-validations) of the CRD fails',
  'schema/cel-unevaluated': 'A CEL rule of the CRD that Plinth cannot evaluate',
  'schema/unknown-kind': 'No schema serves this apiVersion and kind',
  'schema/list-map-key': 'Duplicate key in a list keyed by x-kubernetes-list-map-keys',
  'schema/list-set': 'Duplicate value in a list typed x-kubernetes-list-type: set',
  'schema/scope': 'metadata.namespace on a cluster-scoped kind',
  'schema/name': "A name the API server refuses under Kubernetes' name rules for the kind",
  'schema/no-crds': 'No CRD schemas were found, so custom resources were not checked',
  input: 'The manifest input cannot be read as Kubernetes objects',
  ref: 'A reference to another object or declaration that does not exist',
  'ref/duplicate': 'The same object defined twice: one copy overwrites the other',
  policy: 'A platform policy',
  'values/schema': "A Helm values override the pinned chart's values.schema.json refuses",
  'values/unknown-key': "A Helm values key the pinned chart's default values.yaml does not list: Helm ignores a key no template reads",
  'values/unchecked': 'Helm values not checked: no values files of the pinned chart in the schemas directory',
  'charts/crds-missing': "A chart's crds folder is missing from the schemas directory, so the kinds it serves are unknown",
};
