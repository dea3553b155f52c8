import type { Finding } from '../finding.ts';
import { spokeStagePath } from '../../core/hub.ts';
import { re2Problem, semverConstraintProblem } from '../../apps/images.ts';
import { asList, asObj, configPath, didYouMean, finding, isObj, quote, str, type Index, type Item, type Obj } from './context.ts';

const KARGO = 'kargo.akuity.io';
export const AUTHORIZED_STAGE = 'kargo.akuity.io/authorized-stage';
/** Where Kargo looks for an `argocd-update` app without a namespace: the Argo CD namespace it is configured with, by default `argocd`. */
const DEFAULT_ARGOCD_NAMESPACE = 'argocd';

type Vars = Map<string, string>;

/** `vars` of a step, task or promotion template as a map; later scopes are layered on top by the caller. */
function varsOf(value: unknown): Vars {
  const vars: Vars = new Map();
  for (const v of asList(value)) {
    const name = str(asObj(v).name);
    const val = asObj(v).value;
    if (name && typeof val === 'string') vars.set(name, val);
  }
  return vars;
}

interface Scope {
  vars: Vars;
  stage: string;
  project: string;
}

export type Resolved = { value: string } | { unresolved: string };

/**
 * Resolves the simple forms of Kargo's expression language: `${{ vars.NAME }}`, `${{ vars['NAME'] }}`,
 * `${{ ctx.stage }}`, `${{ ctx.project }}` and literal text around them. A var's value may itself use these
 * forms. Anything else (functions, outputs, operators) is returned as unresolved, never guessed.
 */
export function resolveExpression(text: string, scope: Scope, depth = 0): Resolved {
  if (depth > 8) return { unresolved: text };
  let out = '';
  let rest = text;
  for (;;) {
    const start = rest.indexOf('${{');
    if (start < 0) return { value: out + rest };
    const end = rest.indexOf('}}', start + 3);
    if (end < 0) return { unresolved: rest.slice(start) };
    out += rest.slice(0, start);
    const expression = rest.slice(start + 3, end).trim();
    rest = rest.slice(end + 2);
    let match: RegExpExecArray | null;
    if (expression === 'ctx.stage') out += scope.stage;
    else if (expression === 'ctx.project') out += scope.project;
    else if ((match = /^vars\.([A-Za-z_][A-Za-z0-9_]*)$/.exec(expression) ?? /^vars\[\s*(?:'([^']*)'|"([^"]*)")\s*\]$/.exec(expression))) {
      const name = match[1] ?? match[2]!;
      const value = scope.vars.get(name);
      if (value === undefined) return { unresolved: `\${{ ${expression} }} (no var ${quote(name)})` };
      const inner = resolveExpression(value, scope, depth + 1);
      if ('unresolved' in inner) return inner;
      out += inner.value;
    } else return { unresolved: `\${{ ${expression} }}` };
  }
}

interface StepAt {
  step: Obj;
  /** JSON Pointer of the step inside the Stage, or of the task reference step for a task's steps. */
  path: string;
  scope: Scope;
  /** The task a step comes from, for messages. */
  via?: string;
}

/** `ref/kargo-stage-app` and `ref/kargo-promotion-task`: each Stage's `argocd-update` steps name Applications that authorize it. */
export function kargoRule(index: Index): Finding[] {
  const out: Finding[] = [];
  const stages = index.ofKind(KARGO, 'Stage');
  if (stages.length === 0) return out;
  for (const stage of stages) {
    const where = configPath(stage, index.cluster);
    const template = asObj(asObj(asObj((stage.object as unknown as Obj).spec).promotionTemplate).spec);
    const project = stage.namespace;
    if (!project) {
      if (asList(template.steps).length > 0)
        out.push(finding(stage, '/metadata/namespace', 'ref/kargo-stage-app', 'info', `Stage ${quote(stage.name)} not checked: it has no namespace, so its Kargo Project is unknown`));
      continue;
    }
    const globals = varsOf(template.vars);
    const steps: StepAt[] = [];
    asList(template.steps).forEach((s, i) => {
      const step = asObj(s);
      const path = `/spec/promotionTemplate/spec/steps/${i}`;
      const stepVars = new Map([...globals, ...varsOf(step.vars)]);
      if (!isObj(step.task)) {
        steps.push({ step, path, scope: { vars: stepVars, stage: stage.name, project } });
        return;
      }
      const name = str(step.task.name);
      const kind = str(step.task.kind) ?? 'PromotionTask';
      if (!name) return;
      const task = kind === 'ClusterPromotionTask' ? index.get(KARGO, 'ClusterPromotionTask', undefined, name) : index.get(KARGO, 'PromotionTask', project, name);
      if (!task) {
        const candidates = index.ofKind(KARGO, kind).filter((t) => kind === 'ClusterPromotionTask' || t.namespace === project).map((t) => t.name);
        out.push(
          finding(
            stage, `${path}/task/name`, 'ref/kargo-promotion-task', 'error',
            `${kind} ${quote(name)} is not ${kind === 'PromotionTask' ? `in the Stage's project namespace ${quote(project)}` : 'in the objects'}${didYouMean(name, candidates)}`,
            where.app ? `the app's pipeline renders its PromotionTask beside the Stage: check ${where.app}` : `add the ${kind} ${quote(name)}${kind === 'PromotionTask' ? ` to namespace ${quote(project)}` : ''}, or fix task.name`,
          ),
        );
        return;
      }
      const taskSpec = asObj((task.object as unknown as Obj).spec);
      // The invoking step's vars override the task's defaults.
      const taskVars = new Map([...globals, ...varsOf(taskSpec.vars), ...varsOf(step.vars)]);
      for (const inner of asList(taskSpec.steps))
        steps.push({
          step: asObj(inner),
          path,
          scope: { vars: new Map([...taskVars, ...varsOf(asObj(inner).vars)]), stage: stage.name, project },
          via: `${kind} ${quote(name)}`,
        });
    });
    for (const { step, path, scope, via } of steps) {
      if (step.uses !== 'argocd-update') continue;
      const from = via ? ` (argocd-update step of ${via})` : '';
      const config = step.config;
      if (!isObj(config)) {
        out.push(finding(stage, path, 'ref/kargo-stage-app', 'info', `argocd-update step${from} not checked: its config is not a literal object`));
        continue;
      }
      const apps = asList(config.apps);
      apps.forEach((a, ai) => {
        const app = asObj(a);
        // A task's step lives in the task: point at the Stage step that invokes it.
        const at = via ? `${path}/task` : `${path}/config/apps/${ai}`;
        const field = (key: string) => (via ? at : `${at}/${key}`);
        const rawName = app.name;
        if (typeof rawName !== 'string') {
          out.push(finding(stage, at, 'ref/kargo-stage-app', 'info', `argocd-update app ${ai}${from} not checked: it selects Applications by labels, not by name`));
          return;
        }
        const name = resolveExpression(rawName, scope);
        const namespace = typeof app.namespace === 'string' ? resolveExpression(app.namespace, scope) : { value: DEFAULT_ARGOCD_NAMESPACE };
        if ('unresolved' in name || 'unresolved' in namespace) {
          const what = 'unresolved' in name ? name.unresolved : (namespace as { unresolved: string }).unresolved;
          out.push(finding(stage, field('unresolved' in name ? 'name' : 'namespace'), 'ref/kargo-stage-app', 'info', `argocd-update app ${quote(rawName)}${from} not checked: cannot resolve ${what}`));
          return;
        }
        const application = index.get('argoproj.io', 'Application', namespace.value, name.value);
        const wanted = `${project}:${stage.name}`;
        // A hub's Stage of a spoke's stage updates the Application the spoke's tree renders (src/core/hub.ts).
        if (!application && index.cluster && spokeStagePath(index.cluster, stage.name) !== undefined) return;
        if (!application) {
          const candidates = index.ofKind('argoproj.io', 'Application').filter((x) => x.namespace === namespace.value).map((x) => x.name);
          out.push(
            finding(
              stage, field('name'), 'ref/kargo-stage-app', 'error',
              `Stage ${quote(wanted)} updates Argo CD Application ${quote(`${namespace.value}/${name.value}`)}${from}, which is not in the objects${didYouMean(name.value, candidates)}`,
              where.app ? `check ${where.app}.stages: each stage renders its Application beside the pipeline` : `add the Application ${quote(name.value)} to namespace ${quote(namespace.value)} with annotation ${AUTHORIZED_STAGE}: ${quote(wanted)}, or fix the app name`,
            ),
          );
          return;
        }
        const authorized = application.annotations[AUTHORIZED_STAGE];
        if (authorized === wanted) return;
        out.push(
          finding(
            stage, field('name'), 'ref/kargo-stage-app', 'error',
            authorized === undefined
              ? `Argo CD Application ${quote(`${namespace.value}/${name.value}`)} does not authorize Stage ${quote(wanted)}${from}: it has no ${AUTHORIZED_STAGE} annotation, so Kargo refuses to update it`
              : `Argo CD Application ${quote(`${namespace.value}/${name.value}`)} authorizes ${quote(authorized)}, not Stage ${quote(wanted)}${from}, so Kargo refuses to update it`,
            `annotate the Application with ${AUTHORIZED_STAGE}: ${quote(wanted)}`,
          ),
        );
      });
    }
  }
  return out;
}

/** `ref/kargo-freight`: a Stage requests Freight from a Warehouse and upstream Stages of its own project. */
export function kargoFreightRule(index: Index): Finding[] {
  const out: Finding[] = [];
  for (const stage of index.ofKind(KARGO, 'Stage')) {
    const where = configPath(stage, index.cluster);
    asList(asObj((stage.object as unknown as Obj).spec).requestedFreight).forEach((r, i) => {
      const request = asObj(r);
      const origin = asObj(request.origin);
      const name = str(origin.name);
      if (name && (str(origin.kind) ?? 'Warehouse') === 'Warehouse' && !index.get(KARGO, 'Warehouse', stage.namespace, name)) {
        const here = index.ofKind(KARGO, 'Warehouse').filter((w) => w.namespace === stage.namespace).map((w) => w.name);
        out.push(
          finding(
            stage, `/spec/requestedFreight/${i}/origin/name`, 'ref/kargo-freight', 'error',
            `Warehouse ${quote(name)} is not in the Stage's project namespace ${quote(stage.namespace ?? '')}${didYouMean(name, here)}`,
            where.app ? `the app's pipeline renders its Warehouse beside the Stage: check ${where.app}` : `add the Warehouse to namespace ${quote(stage.namespace ?? '')}, or fix origin.name`,
          ),
        );
      }
      asList(asObj(request.sources).stages).forEach((upstream, j) => {
        if (typeof upstream !== 'string' || index.get(KARGO, 'Stage', stage.namespace, upstream)) return;
        const here = index.ofKind(KARGO, 'Stage').filter((x) => x.namespace === stage.namespace).map((x) => x.name);
        out.push(
          finding(
            stage, `/spec/requestedFreight/${i}/sources/stages/${j}`, 'ref/kargo-freight', 'error',
            `upstream Stage ${quote(upstream)} is not in project ${quote(stage.namespace ?? '')}${didYouMean(upstream, here)}`,
            where.app ? `check ${where.app}.stages` : 'name a Stage of the same project, or take Freight directly from the Warehouse (sources.direct: true)',
          ),
        );
      });
    });
  }
  for (const warehouse of index.ofKind(KARGO, 'Warehouse')) out.push(...imageSubscriptionFindings(warehouse));
  return out;
}

/**
 * A Warehouse's image subscriptions as Kargo v1.11 reads them (akuity/kargo api/v1alpha1/warehouse_types.go): the
 * pinned CRD keeps subscriptions[] schemaless, so nothing else checks them before discovery fails at runtime.
 */
function imageSubscriptionFindings(warehouse: Item): Finding[] {
  const out: Finding[] = [];
  asList(asObj((warehouse.object as unknown as Obj).spec).subscriptions).forEach((sub, i) => {
    const image = asObj(asObj(sub).image);
    if (Object.keys(image).length === 0) return;
    const at = `/spec/subscriptions/${i}/image`;
    const push = (path: string, message: string, hint: string) => out.push(finding(warehouse, `${at}${path}`, 'ref/kargo-freight', 'error', message, hint));
    for (const old of ['allowTags', 'ignoreTags'])
      if (image[old] !== undefined)
        push(`/${old}`, `${old} is deprecated and fails artifact discovery since Kargo v1.10`, `use ${old}Regex: a list of Go RE2 regular expressions`);
    for (const field of ['allowTagsRegex', 'ignoreTagsRegex'])
      asList(image[field]).forEach((pattern, j) => {
        const problem = typeof pattern === 'string' ? re2Problem(pattern) : 'is not a string';
        if (problem) push(`/${field}/${j}`, `${quote(String(pattern))} ${problem}`, 'Go RE2 has no lookaround or backreference: keep tags with allowTagsRegex, drop them with ignoreTagsRegex');
      });
    const strategy = str(image.imageSelectionStrategy) ?? 'SemVer';
    const constraint = str(image.constraint) ?? str(image.semverConstraint);
    if (strategy === 'Digest' && !constraint) push('/constraint', 'the Digest strategy needs constraint: the tag to follow', 'e.g. constraint: develop');
    if (strategy === 'SemVer' && constraint) {
      const problem = semverConstraintProblem(constraint);
      if (problem)
        push(
          image.constraint !== undefined ? '/constraint' : '/semverConstraint',
          `${quote(constraint)} is not a semver constraint: ${problem}`,
          'write a Masterminds constraint such as "^1.2", or follow a tag CI pushes again with imageSelectionStrategy: Digest and constraint: <the tag>',
        );
    }
  });
  return out;
}

export type { Item };
