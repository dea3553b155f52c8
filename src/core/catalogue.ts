import type { ClusterConfig } from '../config/schema.ts';
import { relaxations } from '../apps/security.ts';
import { sharedData } from '../apps/stage-data.ts';
import { OPT_OUT_PREFIX } from '../validate/finding.ts';
import type { RenderedComponent } from './render.ts';
import { describeObject, type K8sObject } from './types.ts';
import { MARKDOWN_HEADER } from './yaml.ts';

export const CATALOGUE_FILE = 'README.md';

const cell = (text: string) => text.replace(/\|/g, '\\|');

/**
 * The cluster's own documentation page, rendered with the tree so it cannot drift from what runs:
 * every component with its pinned chart, sync wave and secret inputs, and the dependency graph.
 */
export function renderCatalogue(
  config: ClusterConfig,
  components: readonly RenderedComponent[],
  objects: readonly { owner: string; object: K8sObject }[] = [],
): string {
  const lines = [
    `# ${config.name}${config.environment ? ` (${config.environment.name})` : ''}: platform catalogue`,
    '',
    ...(config.environment ? [`Environment \`${config.environment.name}\` of the config, reached through kubeconfig context \`${config.environment.context}\`${config.environment.stages ? `; app stages here: ${config.environment.stages.map((s) => `\`${s}\``).join(', ')}` : ''}.`, ''] : []),
    `Cluster \`${config.name}\`, domain \`${config.domain}\`, synced by Argo CD from \`${config.git.repoURL}\` (\`${config.git.revision}\`, \`${config.git.path}/\`).`,
    '',
    '| wave | component | namespace | chart | needs | secret inputs | what it is |',
    '|---|---|---|---|---|---|---|',
    ...components.map((c) =>
      [
        c.wave,
        `\`${c.id}\``,
        `\`${c.namespace}\``,
        c.chart ? `${chartLink(c.chart.chart, c.chart.repoURL)} \`${c.chart.version}\`` : '-',
        c.needs.map((n) => `\`${n}\``).join(', ') || '-',
        c.secrets.map((s) => `\`${s.name}\``).join(', ') || '-',
        cell(c.description),
      ].join(' | ').replace(/^/, '| ').replace(/$/, ' |'),
    ),
    '',
    '## Install order',
    '',
    'Argo CD syncs one wave at a time; a component waits for everything it needs.',
    '',
    '```mermaid',
    'graph LR',
    ...[...new Set(components.map((c) => c.wave))].flatMap((wave) => [
      `  subgraph wave${wave}["wave ${wave}"]`,
      ...components.filter((c) => c.wave === wave).map((c) => `    ${nodeId(c.id)}["${c.id}"]`),
      '  end',
    ]),
    ...components.flatMap((c) => c.needs.map((need) => `  ${nodeId(need)} --> ${nodeId(c.id)}`)),
    '```',
  ];
  if (config.apps.length > 0) {
    lines.push(
      '',
      '## Apps',
      '',
      "Each stage runs from its own branch `plinth/<app>/<stage>`, which Kargo renders at every promotion; the first stage is promoted automatically.",
      '',
      '| app | image | stages | public host | uses | scaled on |',
      '|---|---|---|---|---|---|',
      ...config.apps.map((app) => {
        const uses = [
          app.database && `database \`${app.database}\``,
          app.cache && `cache \`${app.cache}\``,
          ...[...new Set([...app.topics.produce, ...app.topics.consume])].map((t) => `topic \`${t}\``),
          ...app.calls.map((c) => `app \`${c}\``),
        ].filter(Boolean);
        return `| \`${app.name}\` | \`${app.image}\` | ${app.stages.map((s) => `\`${s}\``).join(' → ')} | ${app.host ?? '-'} | ${uses.join(', ') || '-'} | ${app.scale ? `lag of \`${app.scale.topic}\` > ${app.scale.lagThreshold}, ${app.scale.minReplicas}–${app.scale.maxReplicas} replicas` : '-'} |`;
      }),
    );
  }
  const exceptions = config.apps.map((app) => ({ app, relaxed: relaxations(app), egress: app.egress ?? [] }));
  if (exceptions.some((e) => e.relaxed.length + e.egress.length > 0)) {
    lines.push(
      '',
      '### Relaxations and egress',
      '',
      'What each app is allowed beyond the hardened default, and why: relaxed hardening (`security`) and traffic out of the cluster (`egress`).',
      '',
      '| app | relaxed hardening | egress |',
      '|---|---|---|',
      ...exceptions.map(({ app, relaxed, egress }) => {
        const relaxedCell = relaxed.map((r) => `${r.what}: ${cell(r.reason)}`).join('<br>') || '-';
        const egressCell =
          egress.map((e) => `${e.to === 'internet' ? 'internet' : `\`${e.to}\``} ${e.ports.map((p) => `${p.port}/${p.protocol ?? 'TCP'}`).join(', ')}: ${cell(e.reason)}`).join('<br>') || '-';
        return `| \`${app.name}\` | ${relaxedCell} | ${egressCell} |`;
      }),
    );
  }
  // A component's own opt-outs of the platform policies (runners' privileged namespace, their way out to the internet).
  const ids = new Set(components.map((c) => c.id));
  const componentOptOuts = objects
    .filter((o) => ids.has(o.owner))
    .flatMap(({ owner, object }) =>
      Object.entries(object.metadata.annotations ?? {})
        .filter(([annotation, reason]) => annotation.startsWith(OPT_OUT_PREFIX) && reason.trim() !== '')
        .map(([annotation, reason]) => `| \`${owner}\` | \`${describeObject(object)}\` | \`policy/${annotation.slice(OPT_OUT_PREFIX.length)}\` | ${cell(reason.trim())} |`),
    );
  if (componentOptOuts.length > 0) {
    lines.push(
      '',
      '### Relaxations of the components',
      '',
      'Where a component opts out of a platform policy because its options say so, and why (`plinth validate` lists the same).',
      '',
      '| component | object | policy | why |',
      '|---|---|---|---|',
      ...componentOptOuts,
    );
  }
  const shared = sharedData(config);
  if (shared.length > 0) {
    lines.push(
      '',
      '### Stages sharing data',
      '',
      "Each stage has its own database, cache and topics, except these, which use the last stage's by choice, and why.",
      '',
      '| stage | uses | of stage | why | set in |',
      '|---|---|---|---|---|',
      ...shared.map((s) => `| \`${s.stage}\` | ${s.kind} \`${s.name}\` | \`${s.lastStage}\` | ${cell(s.reason)} | \`${s.path}\` |`),
    );
  }
  // One input can serve several components (one OpenStack credential for external-dns and DNS01).
  const secrets = new Map<string, { input: RenderedComponent['secrets'][number]; users: string[] }>();
  for (const c of components)
    for (const input of c.secrets) {
      const entry = secrets.get(input.name) ?? { input, users: [] };
      entry.users.push(c.id);
      secrets.set(input.name, entry);
    }
  if (secrets.size > 0) {
    lines.push('', '## Secret inputs', '', `Provided by a person, kept only in the cluster's secret store, never in git.`, '');
    lines.push('| input | keys | used by | purpose | how to get it |', '|---|---|---|---|---|');
    for (const { input, users } of secrets.values()) {
      lines.push(
        `| \`${input.name}\` | ${input.keys.map((k) => `\`${k.key}\``).join(', ')} | ${users.map((u) => `\`${u}\``).join(', ')} | ${cell(input.purpose)} | ${cell(input.howToGet)} |`,
      );
    }
  }
  return `${MARKDOWN_HEADER}${lines.join('\n')}\n`;
}

/** OCI registries appear without a scheme (as Argo CD wants them): shown as text, not as a broken link. */
const chartLink = (chart: string, repoURL: string) => (/^https?:\/\//.test(repoURL) ? `[${chart}](${repoURL})` : `${chart} (\`${repoURL}\`)`);

const nodeId = (id: string) => id.replace(/[^A-Za-z0-9]/g, '_');
