import { z } from 'zod';
import type { ConfigIssue } from '../errors.ts';
import type { AppConfig, ClusterConfig } from '../config/schema.ts';
import { formatPath } from '../config/paths.ts';

/**
 * Kargo's image selection strategies at the pinned version (v1.11.2): the ImageSelectionStrategy enum of
 * akuity/kargo api/v1alpha1/warehouse_types.go.
 */
export const IMAGE_STRATEGIES = ['SemVer', 'NewestBuild', 'Lexical', 'Digest'] as const;
export type ImageStrategy = (typeof IMAGE_STRATEGIES)[number];

// Masterminds/semver v3 constraints.go: the operators and the loose version of a constraint (x, X and * wildcards, optional "v").
const OPERATORS = ['', '=', '!=', '>', '<', '>=', '=>', '<=', '=<', '~', '~>', '^'];
const CONSTRAINT_VERSION = /^v?([0-9]+|[xX*])(\.([0-9]+|[xX*]))?(\.([0-9]+|[xX*]))?(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$/;
const CONSTRAINT = /^(!=|>=|=>|<=|=<|~>|[=><~^])?\s*(\S+)$/;

/**
 * Why `constraint` does not parse as a Masterminds semver constraint (what Kargo compiles with
 * semver.NewConstraint), or undefined when it does. No npm library fits: the `semver` package has no `,` for AND and
 * no `!=`, and lets a prerelease match only a comparator on the same X.Y.Z (Masterminds: any comparator with a
 * prerelease), so the grammar is checked here and the matching left to Kargo.
 */
export function semverConstraintProblem(constraint: string): string | undefined {
  const orGroups = constraint.split('||');
  for (const group of orGroups) {
    const trimmed = group.trim();
    if (trimmed === '') return 'has an empty side of "||"';
    // A hyphen range ("1.2 - 1.4.5") is two bare versions around " - ".
    const hyphen = /^(\S+)\s+-\s+(\S+)$/.exec(trimmed);
    if (hyphen) {
      for (const side of [hyphen[1]!, hyphen[2]!]) if (!CONSTRAINT_VERSION.test(side)) return `"${side}" is not a version`;
      continue;
    }
    // Masterminds joins operators to their version ("> 1.2" is "> 1.2"), then splits AND on commas or spaces.
    const joined = trimmed.replace(/(!=|>=|=>|<=|=<|~>|[=><~^])\s+/g, '$1');
    for (const part of joined.split(/[\s,]+/).filter((p) => p !== '')) {
      const match = CONSTRAINT.exec(part);
      if (!match || !OPERATORS.includes(match[1] ?? '')) return `"${part}" is not a comparison such as ">=1.2.0"`;
      if (!CONSTRAINT_VERSION.test(match[2]!)) return `"${match[2]}" is not a version`;
    }
  }
  return undefined;
}

/**
 * Why `pattern` would not compile as a Go RE2 regular expression (what Kargo compiles allowTagsRegex and
 * ignoreTagsRegex with, regexp.Compile), or undefined when it would. RE2 has no lookaround and no backreference.
 */
export function re2Problem(pattern: string): string | undefined {
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (inClass) {
      if (c === '\\') i++;
      else if (c === ']') inClass = false;
    } else if (c === '[') {
      inClass = true;
      // A "]" right after "[" or "[^" is a literal member of the class.
      if (pattern[i + 1] === '^') i++;
      if (pattern[i + 1] === ']') i++;
    } else if (c === '\\') {
      const next = pattern[i + 1] ?? '';
      if (/[1-9]/.test(next)) return `has a backreference (\\${next}), which Go's RE2 does not support`;
      if (next === 'k') return 'has a named backreference (\\k<...>), which Go\'s RE2 does not support';
      i++;
    } else if (c === '(' && pattern[i + 1] === '?') {
      const rest = pattern.slice(i + 2);
      if (rest.startsWith('=') || rest.startsWith('!')) return `has a lookahead "(?${rest[0]}", which Go's RE2 does not support`;
      if (rest.startsWith('<=') || rest.startsWith('<!')) return `has a lookbehind "(?${rest.slice(0, 2)}", which Go's RE2 does not support`;
      if (rest.startsWith('>')) return 'has an atomic group "(?>", which Go\'s RE2 does not support';
    }
  }
  try {
    new RegExp(pattern);
  } catch (error) {
    return `is not a regular expression: ${(error as Error).message}`;
  }
  return undefined;
}

const RE2_HINT = 'Go RE2 has no lookaround or backreference: match what to keep with allowTags, and list what to drop in ignoreTags, e.g. allowTags: "^sha-[0-9a-f]{7}$", ignoreTags: ["^pr-"]';

const re2 = z.string().min(1).superRefine((pattern, ctx) => {
  const problem = re2Problem(pattern);
  if (problem) ctx.addIssue({ code: 'custom', message: problem, params: { hint: RE2_HINT } });
});

/** The tag ("develop", "sha-1a2b3c4") CI pushes: the OCI distribution spec's tag grammar. */
const OCI_TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;

function looksLikeTag(value: string): string | undefined {
  const bare = value.replace(/^[\^~=v]+/, '');
  return OCI_TAG.test(bare) && !/^[0-9xX*]/.test(bare) ? bare : undefined;
}

/** `semver`: a Masterminds constraint; a branch or tag name in it is refused, naming the strategy that follows it. */
export const semverConstraint = z.string().min(1).superRefine((constraint, ctx) => {
  const problem = semverConstraintProblem(constraint);
  if (!problem) return;
  const tag = looksLikeTag(constraint.trim());
  ctx.addIssue({
    code: 'custom',
    message: `"${constraint}" is not a semver constraint: ${problem}`,
    params: {
      hint: tag
        ? `"${tag}" is a tag CI pushes again, not a version: follow it with images: { strategy: "Digest", constraint: "${tag}" } (each push becomes new Freight, promoted by digest)`
        : 'write a Masterminds constraint such as "^1.2", ">=1.0.0 <2.0.0" or "*", or pick another images.strategy (NewestBuild, Lexical, Digest)',
    },
  });
});

const strategy = z.string().superRefine((value, ctx) => {
  if (!(IMAGE_STRATEGIES as readonly string[]).includes(value))
    ctx.addIssue({
      code: 'custom',
      message: `"${value}" is not an image selection strategy`,
      params: {
        hint: 'use SemVer (vX.Y.Z release tags), Digest (one mutable tag such as "develop"), NewestBuild (the last pushed tag matching allowTags) or Lexical (tags that sort by a leading date)',
      },
    });
}) as unknown as z.ZodType<ImageStrategy, string>;

const images = z
  .strictObject({
    strategy: strategy.default('SemVer'),
    /** SemVer: a Masterminds constraint (overrides `semver`); Digest: the tag to follow. Other strategies take none. */
    constraint: z.string().min(1).optional(),
    /** A Go RE2 regular expression a tag must match (Kargo's allowTagsRegex). */
    allowTags: re2.optional(),
    /** Go RE2 regular expressions of tags never selected (Kargo's ignoreTagsRegex). */
    ignoreTags: z.array(re2).optional(),
    /** <os>/<arch> of the nodes, when they differ from the Kargo controller's. */
    platform: z.string().regex(/^[a-z0-9]+\/[a-z0-9]+(\/[a-z0-9]+)?$/, { error: 'must be <os>/<arch>, e.g. "linux/arm64"' }).optional(),
  })
  .superRefine((value, ctx) => {
    const s = value.strategy;
    if (s === 'Digest') {
      if (value.constraint === undefined)
        ctx.addIssue({ code: 'custom', path: ['constraint'], message: 'is required for Digest: it is the tag to follow', params: { hint: 'e.g. constraint: "develop"' } });
      else if (!OCI_TAG.test(value.constraint))
        ctx.addIssue({ code: 'custom', path: ['constraint'], message: `"${value.constraint}" is not an image tag`, params: { hint: 'give the one tag CI pushes again, e.g. "develop" or "main"' } });
      if (value.allowTags !== undefined || value.ignoreTags !== undefined)
        ctx.addIssue({ code: 'custom', path: ['allowTags'], message: 'means nothing for Digest, which follows one tag', params: { hint: 'remove allowTags and ignoreTags, or use NewestBuild' } });
    } else if (s === 'SemVer') {
      if (value.constraint !== undefined) {
        const problem = semverConstraint.safeParse(value.constraint);
        if (!problem.success)
          for (const issue of problem.error.issues) ctx.addIssue({ ...issue, code: 'custom', path: ['constraint'], params: (issue as { params?: Record<string, unknown> }).params });
      }
    } else if (value.constraint !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['constraint'],
        message: `means nothing for ${s}`,
        params: { hint: `narrow the tags with allowTags (e.g. "^sha-"), or use Digest to follow the one tag "${value.constraint}"` },
      });
    }
  });

const promotionMode = z.enum(['auto', 'manual'], { error: 'must be "auto" or "manual"' });

/** The app options this file owns, spread into the app schema (src/config/schema.ts). */
export const imageShape = {
  /** How Kargo picks the image to ship (default: the newest release tag matching `semver`). */
  images: images.default({ strategy: 'SemVer' }),
  /**
   * Per stage, whether new Freight is promoted automatically or waits for an approval (`kargo promote`). Default:
   * the first stage "auto", every next one "manual".
   */
  promotion: z.record(z.string(), promotionMode).default({}),
};

/** The promotion mode of each stage of an app, defaults filled in. */
export function promotionModes(app: AppConfig): Map<string, 'auto' | 'manual'> {
  return new Map(app.stages.map((stage, i) => [stage, app.promotion[stage] ?? (i === 0 ? 'auto' : 'manual')]));
}

/** The constraint Kargo's Warehouse gets: the tag for Digest, the semver constraint for SemVer, none otherwise. */
export function warehouseConstraint(app: AppConfig): string | undefined {
  if (app.images.strategy === 'Digest') return app.images.constraint;
  if (app.images.strategy === 'SemVer') return app.images.constraint ?? app.semver;
  return undefined;
}

/** What the image options allow only together with the rest of the app: promotion names declared stages. */
export function imageIssues(config: ClusterConfig, input: unknown): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const rawApps = typeof input === 'object' && input !== null && Array.isArray((input as { apps?: unknown }).apps) ? (input as { apps: unknown[] }).apps : [];
  config.apps.forEach((app, i) => {
    for (const stage of Object.keys(app.promotion))
      if (!app.stages.includes(stage))
        issues.push({
          path: formatPath(['apps', i, 'promotion', stage]),
          message: `"${stage}" is not a stage of this app`,
          hint: `name one of its stages: ${app.stages.join(', ')}`,
        });
    const raw = rawApps[i] as { semver?: unknown } | undefined;
    if (raw?.semver !== undefined && app.images.strategy !== 'SemVer')
      issues.push({
        path: formatPath(['apps', i, 'semver']),
        message: `means nothing with images.strategy "${app.images.strategy}"`,
        hint: 'remove semver: only the SemVer strategy compares versions',
      });
  });
  return issues;
}
