import { readFileSync } from 'node:fs';
import { lstat, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { CONFIG_FILES } from '../config/load.ts';
import { resolveCluster } from '../config/validate.ts';
import { ConfigError, UsageError, type ConfigIssue } from '../errors.ts';
import type { Registry } from '../config/schema.ts';
import type { Context } from './context.ts';

export interface InitOptions {
  name?: string;
  domain?: string;
  /** https URL of the git repository Argo CD syncs the rendered tree from. */
  repo?: string;
  acmeEmail?: string;
  /** A tarball from `npm pack`, or a Plinth checkout: the dependency becomes `file:` that path. */
  from?: string;
  /** Replace files that exist. package.json is merged either way, never replaced. */
  force?: boolean;
}

export type InitFlag = '--name' | '--domain' | '--repo' | '--acme-email';

export interface InitQuestion {
  flag: InitFlag;
  label: string;
  example: string;
  /** Why the previous answer was refused, when it was. */
  problem?: string;
}

export interface InitContext extends Context {
  /** Asks for a missing value; absent when there is no terminal to ask on. */
  ask?: (question: InitQuestion) => Promise<string>;
}

export interface InitFile {
  path: string;
  action: 'created' | 'replaced' | 'updated';
}

export interface InitResult {
  dir: string;
  files: InitFile[];
  dependency: { name: string; spec: string };
  /** Things that work here but will not elsewhere, such as CI installing a tarball outside the repository. */
  warnings: string[];
  next: string[];
}

/** The package this code ships in: what a team's package.json depends on. */
const PACKAGE = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { name: string; version: string };

/** What a team gets: the seed's core platform, without data services, which need a decision on storage each. */
export const DEFAULT_COMPONENTS = [
  'argo-cd',
  'kargo',
  'cert-manager',
  'designate-webhook',
  'traefik',
  'external-dns',
  'external-secrets',
  'secret-generator',
  'clustersecret',
] as const;

const FIELDS: { flag: InitFlag; key: 'name' | 'domain' | 'repo' | 'acmeEmail'; label: string; example: string; path: string }[] = [
  { flag: '--name', key: 'name', label: 'Cluster name', example: 'prod', path: 'name' },
  { flag: '--domain', key: 'domain', label: 'Domain (app hosts go under it)', example: 'apps.example.org', path: 'domain' },
  { flag: '--repo', key: 'repo', label: 'https URL of this git repository', example: 'https://github.com/example/infra.git', path: 'git.repoURL' },
  { flag: '--acme-email', key: 'acmeEmail', label: "Email for Let's Encrypt", example: 'ops@example.org', path: 'components["cert-manager"].acmeEmail' },
];

type Values = Record<(typeof FIELDS)[number]['key'], string>;

const GITIGNORE = 'node_modules/\n# validator and schema cache of CI (PLINTH_CACHE_DIR in .github/workflows/plinth.yml)\n/.plinth-cache/\n/plinth.sarif\n';

/**
 * Writes a team's start in the current folder: plinth.config.ts from the flags (or answers), package.json,
 * tsconfig.json, .gitignore, a README and a CI workflow. Nothing is replaced without --force, and nothing is
 * written unless every file can be.
 */
export async function init(options: InitOptions, ctx: InitContext): Promise<InitResult> {
  // Everything that can refuse does so before a question is asked.
  const paths = ['plinth.config.ts', 'tsconfig.json', '.gitignore', 'README.md', '.github/workflows/plinth.yml'];
  const inTheWay: string[] = [];
  for (const path of paths) if (await exists(join(ctx.cwd, path))) inTheWay.push(path);
  // Another plinth.config.* would be found before the new one, or beside it.
  for (const name of CONFIG_FILES) if (name !== 'plinth.config.ts' && (await exists(join(ctx.cwd, name)))) inTheWay.push(name);
  if (inTheWay.length > 0 && !options.force)
    throw new UsageError(
      `${inTheWay.join(', ')} already exist${inTheWay.length === 1 ? 's' : ''} in ${ctx.cwd}; plinth init replaces no file, so nothing was written`,
      'run it in an empty folder, move those files away, or pass --force to replace them (package.json is merged, never replaced)',
    );
  const existingPackage = await readPackageJson(ctx.cwd, options);
  const dependency = { name: PACKAGE.name, spec: options.from ? await fromSpec(options.from, ctx.cwd) : PACKAGE.version };
  const values = await collect(options, ctx);

  const pkg = packageJson(existingPackage, values, dependency, options);
  dependency.spec = pkg.spec;
  const files = [
    { path: 'plinth.config.ts', content: configSource(values) },
    { path: 'package.json', content: pkg.content },
    { path: 'tsconfig.json', content: TSCONFIG },
    { path: '.gitignore', content: GITIGNORE },
    { path: 'README.md', content: readme(values) },
    { path: '.github/workflows/plinth.yml', content: WORKFLOW },
  ].filter((f) => !(f.path === 'package.json' && pkg.unchanged));
  await writeAll(ctx.cwd, files);

  const warnings: string[] = [];
  if (dependency.spec.startsWith('file:') && relative(ctx.cwd, resolve(ctx.cwd, dependency.spec.slice(5))).startsWith('..'))
    warnings.push(
      `package.json depends on ${dependency.spec}, outside this repository: CI and your teammates cannot install it. ` +
        'Copy the tarball into the repository (e.g. vendor/) and run plinth init --force --from vendor/<file>.tgz, or depend on a git URL (docs/install.md).',
    );
  return {
    dir: ctx.cwd,
    files: files.map((f) => ({
      path: f.path,
      action: f.path === 'package.json' ? (existingPackage ? 'updated' : 'created') : inTheWay.includes(f.path) ? 'replaced' : 'created',
    })),
    dependency,
    warnings,
    next: [
      'npm install',
      'npx --no-install plinth render        # writes rendered/: commit it with plinth.config.ts',
      'npx --no-install plinth secrets list  # the secret inputs the components need, and how to get each',
    ],
  };
}

async function collect(options: InitOptions, ctx: InitContext): Promise<Values> {
  const given: Partial<Values> = {};
  for (const field of FIELDS) if (options[field.key] !== undefined) given[field.key] = options[field.key];
  const missing = FIELDS.filter((f) => given[f.key] === undefined || given[f.key] === '');
  if (missing.length > 0 && !ctx.ask)
    throw new UsageError(
      `missing ${missing.map((f) => f.flag).join(', ')}: plinth init asks for them only on a terminal`,
      `e.g. plinth init ${FIELDS.map((f) => `${f.flag} ${given[f.key] || f.example}`).join(' ')}`,
    );
  // Flags are checked all at once; an answer is checked as it is given, and asked again when refused.
  const flagIssues = issuesFor({ ...placeholders(), ...given }, ctx.registry);
  if (flagIssues.length > 0) throw new ConfigError(flagIssues);
  for (const field of missing) {
    let problem: string | undefined;
    for (let attempt = 0; ; attempt++) {
      const answer = (await ctx.ask!({ flag: field.flag, label: field.label, example: field.example, ...(problem ? { problem } : {}) })).trim();
      const issue = issuesFor({ ...placeholders(), [field.key]: answer }, ctx.registry)[0];
      if (!issue) {
        given[field.key] = answer;
        break;
      }
      if (attempt === 2) throw new ConfigError([issue]);
      problem = issue.message;
    }
  }
  return given as Values;
}

const placeholders = (): Values => ({ name: 'x', domain: 'example.org', repo: 'https://example.org/x.git', acmeEmail: 'ops@example.org' });

function clusterData(values: Values) {
  return {
    name: values.name,
    domain: values.domain,
    git: { repoURL: values.repo, revision: 'main', path: 'rendered' },
    components: Object.fromEntries(DEFAULT_COMPONENTS.map((id) => [id, id === 'cert-manager' ? { acmeEmail: values.acmeEmail } : {}])),
  };
}

/** The real config checks on the cluster the values make, each problem named by its flag. */
function issuesFor(values: Values, registry: Registry): ConfigIssue[] {
  try {
    resolveCluster(clusterData(values), registry);
    return [];
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.issues.map((issue) => {
      const field = FIELDS.find((f) => issue.path === f.path);
      if (!field) return issue;
      const ssh = field.key === 'repo' ? /^(?:ssh:\/\/)?git@([^:/]+)[:/](.+)$/.exec(values.repo) : null;
      return {
        path: field.flag,
        message: issue.message,
        ...(ssh ? { hint: `Argo CD pulls over https: https://${ssh[1]}/${ssh[2]}` } : issue.hint ? { hint: issue.hint } : { hint: `e.g. ${field.flag} ${field.example}` }),
      };
    });
  }
}

async function fromSpec(from: string, cwd: string): Promise<string> {
  const path = isAbsolute(from) ? from : resolve(cwd, from);
  let info;
  try {
    info = await stat(path);
  } catch {
    throw new UsageError(`--from ${from} does not exist`, 'pass the tarball `npm pack` wrote (e.g. plinth-platform-plinth-0.1.0.tgz) or a Plinth checkout');
  }
  if (info.isDirectory()) {
    let name: string | undefined;
    try {
      name = (JSON.parse(await readFile(join(path, 'package.json'), 'utf8')) as { name?: string }).name;
    } catch {
      // reported below
    }
    if (name !== PACKAGE.name) throw new UsageError(`--from ${from} is not a ${PACKAGE.name} checkout (no package.json of that name)`, 'pass the tarball `npm pack` wrote, or the folder of a Plinth checkout');
    // npm links a folder: the config then imports the checkout's dist/, which only a build makes.
    if (!(await exists(join(path, 'dist', 'index.js'))))
      throw new UsageError(`--from ${from} has no dist/: a config imports the built package`, `run npm run build in ${from}, or pass the tarball npm pack writes there`);
  }
  const rel = relative(cwd, path).split(sep).join('/');
  return `file:${rel.startsWith('.') ? rel : `./${rel}`}`;
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}

interface ExistingPackage {
  text: string;
  pkg: Record<string, any>;
}

async function readPackageJson(cwd: string, options: InitOptions): Promise<ExistingPackage | undefined> {
  let text: string;
  try {
    text = await readFile(join(cwd, 'package.json'), 'utf8');
  } catch {
    return undefined;
  }
  let pkg: unknown;
  try {
    pkg = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`package.json is not valid JSON (${(error as Error).message}); nothing was written`, 'fix it, or move it away and run plinth init again');
  }
  if (typeof pkg !== 'object' || pkg === null || Array.isArray(pkg)) throw new UsageError('package.json does not hold an object; nothing was written', 'fix it, or move it away');
  const type = (pkg as { type?: unknown }).type;
  if (type !== undefined && type !== 'module' && !options.force)
    throw new UsageError(
      `package.json has "type": ${JSON.stringify(type)}, and plinth.config.ts needs "type": "module"; nothing was written`,
      'set "type": "module" if nothing else here needs CommonJS, or pass --force to let plinth init set it',
    );
  return { text, pkg: pkg as Record<string, any> };
}

/** A new package.json, or the one there with "type" and the dependency added: every other field is kept. */
function packageJson(
  existing: ExistingPackage | undefined,
  values: Values,
  dependency: { name: string; spec: string },
  options: InitOptions,
): { content: string; unchanged: boolean; spec: string } {
  if (!existing) {
    const fresh = {
      name: `${values.name}-platform`,
      private: true,
      type: 'module',
      engines: { node: '>=24' },
      dependencies: { [dependency.name]: dependency.spec },
    };
    return { content: `${JSON.stringify(fresh, null, 2)}\n`, unchanged: false, spec: dependency.spec };
  }
  const { pkg, text } = existing;
  const updated: Record<string, any> = { ...pkg, type: 'module' };
  // A spec already there (npm install ./x.tgz writes one) is the team's choice; --from is an explicit new one.
  const key = pkg.devDependencies?.[dependency.name] !== undefined ? 'devDependencies' : 'dependencies';
  if (pkg[key]?.[dependency.name] === undefined || options.from) updated[key] = { ...pkg[key], [dependency.name]: dependency.spec };
  return {
    content: `${JSON.stringify(updated, null, detectIndent(text))}\n`,
    unchanged: JSON.stringify(updated) === JSON.stringify(pkg),
    spec: String(updated[key][dependency.name]),
  };
}

const detectIndent = (text: string): string | number => /^[ \t]+(?=")/m.exec(text)?.[0] ?? 2;

/** Every file to a temporary name first, then renamed into place: an error leaves nothing behind. */
async function writeAll(cwd: string, files: { path: string; content: string }[]): Promise<void> {
  const temps: string[] = [];
  const madeDirs: string[] = [];
  try {
    for (const file of files) {
      const target = join(cwd, file.path);
      const dir = dirname(target);
      if (!(await exists(dir))) madeDirs.push((await mkdir(dir, { recursive: true })) ?? dir);
      const temp = `${target}.plinth-init-${process.pid}`;
      await writeFile(temp, file.content);
      temps.push(temp);
    }
  } catch (error) {
    await Promise.all(temps.map((t) => rm(t, { force: true })));
    await Promise.all(madeDirs.map((d) => rm(d, { recursive: true, force: true })));
    throw error;
  }
  for (const [i, file] of files.entries()) await rename(temps[i]!, join(cwd, file.path));
}

const quote = (value: string) => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

function configSource(values: Values): string {
  return `import { defineCluster } from '${PACKAGE.name}';

/**
 * The ${values.name} cluster. \`npx --no-install plinth render\` writes the GitOps tree into rendered/; commit it,
 * and Argo CD syncs it from ${values.repo}. Every option is in
 * node_modules/${PACKAGE.name}/docs/config.md, and each component's in docs/components/.
 */
export default defineCluster({
  name: ${quote(values.name)},
  domain: ${quote(values.domain)},
  git: { repoURL: ${quote(values.repo)}, revision: 'main', path: 'rendered' },
  components: {
    // GitOps: Argo CD syncs rendered/; Kargo promotes each app's new images through its stages.
    'argo-cd': {},
    kargo: {},
    // TLS: Let's Encrypt certificates, DNS01 challenges answered in OpenStack Designate.
    'cert-manager': { acmeEmail: ${quote(values.acmeEmail)} },
    'designate-webhook': {},
    // Ingress and DNS: Traefik serves the hosts, external-dns publishes their records in the domain.
    traefik: {},
    'external-dns': {},
    // Secrets: read from the plinth-secrets store, generated in the cluster, copied where they are needed.
    'external-secrets': {},
    'secret-generator': {},
    clustersecret: {},
  },
  // An app: a hardened Deployment, Service, Ingress with a certificate, and a Kargo pipeline (docs/apps.md).
  // apps: [{ name: 'web', image: 'ghcr.io/example/web', port: 8080, host: ${quote(`web.${values.domain}`)} }],
});
`;
}

const TSCONFIG = `${JSON.stringify(
  {
    compilerOptions: {
      target: 'es2024',
      module: 'nodenext',
      moduleResolution: 'nodenext',
      strict: true,
      noEmit: true,
      skipLibCheck: true,
    },
    include: ['plinth.config.ts'],
  },
  null,
  2,
)}\n`;

/**
 * CI: the rendered tree is up to date, and it validates; findings go to code scanning as SARIF.
 * PLINTH_CACHE_DIR is the cache of src/validate/schema/registry.ts cacheDir(): pulled CRDs and compiled
 * validators, kept between runs and keyed by the lockfile (which pins Plinth, so the charts and CRDs).
 */
const WORKFLOW = `name: plinth
on:
  push:
    branches: [main]
  pull_request:
permissions:
  contents: read
  security-events: write # upload the SARIF report to code scanning
jobs:
  plinth:
    runs-on: ubuntu-latest
    env:
      PLINTH_CACHE_DIR: \${{ github.workspace }}/.plinth-cache
    steps:
      - uses: actions/checkout@v6
      - uses: actions/setup-node@v6
        with:
          node-version: 24
          cache: npm
      - run: npm ci
      - name: rendered/ matches plinth.config.ts
        run: npx --no-install plinth render --check
      - uses: actions/cache@v5
        with:
          path: .plinth-cache
          key: plinth-\${{ runner.os }}-\${{ hashFiles('package-lock.json') }}
          restore-keys: plinth-\${{ runner.os }}-
      - name: CRDs and chart values of the pinned charts (checked against their SHA-256; kept in the cache)
        run: npx --no-install plinth schemas pull
      - name: validate
        run: npx --no-install plinth validate --output sarif > plinth.sarif
      - uses: github/codeql-action/upload-sarif@v4
        if: \${{ always() && hashFiles('plinth.sarif') != '' }}
        with:
          sarif_file: plinth.sarif
          category: plinth
`;

function readme(values: Values): string {
  return `# ${values.name}

The ${values.name} cluster's platform, declared in \`plinth.config.ts\` and rendered by Plinth
(\`${PACKAGE.name}\`) into \`rendered/\`, the GitOps tree Argo CD syncs from ${values.repo}.
Plinth's documentation is in \`node_modules/${PACKAGE.name}/docs/\`.

## Every day

\`\`\`sh
npm ci                                   # once per clone: Node.js 24 or newer
npx --no-install plinth render           # rewrite rendered/ after changing plinth.config.ts; commit both
npx --no-install plinth validate         # schemas, cross-references and policies (run plinth schemas pull once)
npx --no-install plinth graph            # components in install order
npx --no-install plinth doctor           # what works on the live cluster, and why not
\`\`\`

\`--no-install\` makes npx run the version in \`node_modules\` and never ask the registry for a package.

## First time on a new cluster

1. \`npx --no-install plinth secrets list\` names the secret inputs the components need (the Designate
   credentials for DNS and certificates, the token Argo CD reads this repository with) and how to get each.
2. \`npx --no-install plinth secrets set NAME KEY\` stores each one in the cluster (the value is read from a
   prompt or stdin, never from an argument); \`npx --no-install plinth secrets check\` says what is missing.
3. \`npx --no-install plinth bootstrap\` installs Argo CD and applies the root Application; Argo CD installs
   the rest from \`rendered/\` in dependency order. \`npx --no-install plinth doctor\` then shows what works.

## CI

\`.github/workflows/plinth.yml\` fails a pull request whose \`rendered/\` is stale (\`plinth render --check\`)
or does not validate, and uploads the findings to code scanning. It keeps Plinth's validator cache between runs.

## Upgrading Plinth

Change the version of \`${PACKAGE.name}\` in \`package.json\`, run \`npm install\`, then
\`npx --no-install plinth render\` and commit the changes to \`rendered/\` with it.
`;
}
