import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { Command, CommanderError, Option } from '@commander-js/extra-typings';
import { createColors } from 'picocolors';
import type { Context } from '../commands/context.ts';
import { DEFAULT_HELM_IMAGE } from '../commands/defaults.ts';
import type { LiveContext, ReportedChange } from '../commands/live.ts';
import type { RenderResult } from '../commands/render.ts';
import type { SecretsContext } from '../commands/secrets.ts';
import { BlockedError, ConfigError, PlinthError, UsageError } from '../errors.ts';
import { formatIssues, table, useColor, type Colors, type Stream } from './output.ts';

export interface Io {
  stdout: Stream;
  stderr: Stream;
  env: Record<string, string | undefined>;
  cwd: string;
}

const EXIT_INTERNAL = 70;

const version = (): string =>
  (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

interface GlobalOptions {
  json?: boolean;
  color?: boolean;
  debug?: boolean;
}

/** Runs the CLI and returns its exit code; the only place that prints errors or decides exit codes. */
export async function main(argv: string[], io: Io): Promise<number> {
  let exitCode = 0;
  let globals: GlobalOptions = {};
  const colorsFor = (stream: Stream): Colors => createColors(!globals.json && useColor(stream, io.env, globals.color !== false));
  // A transient progress line (a count redrawn in place on a terminal) is erased before anything else is written.
  let transientShown = false;
  let transientAt = 0;
  const endTransient = () => {
    if (transientShown) io.stderr.write('\r\u001b[2K');
    transientShown = false;
  };
  const out = (text: string) => (endTransient(), io.stdout.write(text.endsWith('\n') ? text : `${text}\n`));
  const json = (value: unknown) => out(JSON.stringify(value, null, 2));

  // Each command loads its own modules when it runs: a command needs a fraction of the CLI's code.
  const baseContext = (): Omit<Context, 'registry'> => {
    const c = colorsFor(io.stderr);
    return {
      cwd: io.cwd,
      // On a terminal: every message, counts redrawn in place. Elsewhere (CI, pipes, --json): one plain line per phase.
      progress: (message, { transient = false, phase = false } = {}) => {
        if (!globals.json && io.stderr.isTTY) {
          if (transient && Date.now() - transientAt < 50) return;
          transientAt = transient ? Date.now() : 0;
          io.stderr.write(`${transientShown ? '\r\u001b[2K' : ''}${c.dim(message)}${transient ? '' : '\n'}`);
          transientShown = transient;
        } else if (phase) io.stderr.write(`${message}\n`);
      },
    };
  };
  const context = async (): Promise<Context> => ({ ...baseContext(), registry: (await import('../components/index.ts')).registry });

  /** --env on every command that works on one cluster. */
  const ENV = ['--env <name>', 'with environments: which one (required then); its kubeconfig context unless --context'] as const;

  const program = new Command()
    .name('plinth')
    .description('One typed file -> a whole, working Kubernetes platform, synced by Argo CD.')
    .version(version(), '-v, --version')
    .option('--json', 'machine-readable output on stdout')
    .option('--no-color', 'no colours (also: NO_COLOR=1)')
    .addOption(new Option('--debug', 'print stack traces of unexpected errors').hideHelp())
    .showSuggestionAfterError(true)
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    })
    .exitOverride()
    .hook('preAction', (command) => {
      globals = command.opts();
    });

  program
    .command('init')
    .description("start a team's repository in this folder: plinth.config.ts, package.json, tsconfig, README, CI workflow")
    .option('--name <name>', 'cluster name (a DNS label)')
    .option('--domain <domain>', 'the domain app hosts go under (external-dns publishes it)')
    .option('--repo <url>', 'https URL of the git repository Argo CD syncs from')
    .option('--acme-email <email>', "email of the Let's Encrypt account")
    .option('--from <tarball|dir>', 'depend on this tarball (npm pack) or checkout as a file: dependency')
    .option('--force', 'replace files that exist (package.json is merged, never replaced)')
    .action(async (options) => {
      const { init } = await import('../commands/init.ts');
      // Missing values are asked for only on a terminal; elsewhere init names the missing flags (exit 2).
      let prompt: import('node:readline/promises').Interface | undefined;
      let closed: Promise<never> | undefined;
      const ask = async (question: import('../commands/init.ts').InitQuestion) => {
        if (!prompt) {
          prompt = (await import('node:readline/promises')).createInterface({ input: process.stdin, output: process.stderr });
          const input = prompt;
          // Ctrl-C or Ctrl-D ends the questions; nothing has been written yet.
          let reason = 'input ended';
          input.once('SIGINT', () => ((reason = 'interrupted'), input.close()));
          closed = new Promise<never>((_, reject) => input.once('close', () => reject(new UsageError(`no answer (${reason}); nothing was written`, 'pass the values as flags instead'))));
          closed.catch(() => {});
        }
        const c = colorsFor(io.stderr);
        if (question.problem) io.stderr.write(`  ${c.red(question.problem)}\n`);
        return Promise.race([prompt.question(`${question.label} ${c.dim(`(${question.flag}, e.g. ${question.example})`)}: `), closed!]);
      };
      let result;
      try {
        result = await init(options, { ...(await context()), ...(process.stdin.isTTY ? { ask } : {}) });
      } finally {
        prompt?.close();
      }
      if (globals.json) return void json(result);
      const c = colorsFor(io.stdout);
      const mark = { created: c.green('+'), replaced: c.yellow('~'), updated: c.yellow('~') };
      out(
        [
          `${c.green('✓')} ${result.dir}: ${result.files.length} files written, depending on ${result.dependency.name}@${result.dependency.spec}`,
          ...result.files.map((f) => `  ${mark[f.action]} ${f.path}${f.action === 'created' ? '' : c.dim(`  (${f.action})`)}`),
          ...result.warnings.map((w) => `${c.yellow('warning')}: ${w}`),
          '',
          c.bold('Next:'),
          ...result.next.map((step) => `  ${step}`),
        ].join('\n'),
      );
    });

  program
    .command('render')
    .description('write the GitOps tree Argo CD syncs (deterministic, offline)')
    .option('-c, --config <file>', 'cluster definition (default: ./plinth.config.ts, .js, .json or .yaml)')
    .option('-o, --out <dir>', "output directory (default: the config's git.path beside the config file)")
    .option('--check', 'write nothing; exit 1 if the tree on disk is stale (for CI)')
    .option('--env <name>', "with environments: only this environment's tree (default: every environment's, each in its folder)")
    .action(async (options) => {
      // The config is read (a .ts config in a worker) while the components load.
      (await import('../config/read.ts')).preloadConfig(io.cwd, options.config);
      const result = await (await import('../commands/render.ts')).renderAll(options, await context());
      if (globals.json) json(result);
      else if ('environments' in result) {
        const c = colorsFor(io.stdout);
        out(
          [
            ...result.environments.map((e) => `${c.bold(`environment ${e.environment}`)}\n${describeRender(e, io.cwd, c)}`),
            ...result.warnings.map((w) => `${c.yellow('warning')}: ${w}`),
          ].join('\n'),
        );
      } else out(describeRender(result, io.cwd, colorsFor(io.stdout)));
      if (result.check && result.stale) exitCode = 1;
    });

  program
    .command('graph')
    .description('show the components in install order: sync waves, dependencies, charts, secret inputs')
    .option('-c, --config <file>', 'cluster definition (default: ./plinth.config.ts)')
    .option('--env <name>', 'with environments: which one (required then)')
    .action(async (options) => {
      const result = await (await import('../commands/graph.ts')).graph(options, await context());
      if (globals.json) return void json(result);
      const c = colorsFor(io.stdout);
      const rows = [['WAVE', 'COMPONENT', 'NEEDS', 'CHART', 'SECRET INPUTS']];
      for (const component of result.components) {
        rows.push([
          String(component.wave),
          c.bold(component.id),
          component.needs.join(', ') || '-',
          component.chart ? `${component.chart.chart}@${component.chart.version}` : '-',
          component.secrets.map((s) => s.name).join(', ') || '-',
        ]);
      }
      out(table(rows, c));
    });

  const liveCommand = (name: string, description: string) =>
    program
      .command(name)
      .description(description)
      .option('-c, --config <file>', 'cluster definition (default: ./plinth.config.ts)')
      .option('--kubeconfig <file>', 'kubeconfig of the cluster (default: $KUBECONFIG or ~/.kube/config)')
      .option('--context <name>', 'kubeconfig context to use')
      .option(...ENV)
      .option('--crds <dir>', 'apply the CRD manifests in this directory first (for a cluster without the charts)')
      .option('--prune', 'delete objects labelled managed-by plinth that are no longer rendered')
      .option('--allow-data-loss', 'with --prune, also delete PVCs, database clusters and namespaces holding PVCs');
  const liveContext = async (): Promise<LiveContext> => ({ ...(await context()), connect: async (o) => (await import('../kube/client.ts')).connect(o) });

  liveCommand('diff', 'show what apply would change on the live cluster (server-side dry run); exit 1 if anything')
    .action(async (options) => {
      const result = await (await import('../commands/live.ts')).diff(options, await liveContext());
      if (globals.json) json(result);
      else out(describeChanges(result.changes, colorsFor(io.stdout), `${result.differences} difference${result.differences === 1 ? '' : 's'} with ${result.server}`));
      if (result.differences > 0) exitCode = 1;
    });

  liveCommand('apply', 'server-side apply of the rendered tree, in dependency order')
    .action(async (options) => {
      const result = await (await import('../commands/live.ts')).apply(options, await liveContext());
      const c = colorsFor(io.stdout);
      if (globals.json) json(result);
      else
        out(
          `${result.failed.length ? c.red('✗') : c.green('✓')} ${result.server}: ${result.created} created, ${result.configured} configured, ` +
            `${result.unchanged} unchanged, ${result.pruned} pruned, ${result.skipped} skipped, ${result.failed.length} failed` +
            (result.kept ? `, ${result.kept} kept (data)` : '') +
            result.failed.map((f) => `\n  ${c.red('failed')} ${f.ref}: ${f.reason}`).join(''),
        );
      if (result.failed.length > 0) exitCode = 1;
    });

  program
    .command('bootstrap')
    .description('from an empty cluster to GitOps: install Argo CD in-cluster, then the root Application')
    .option('-c, --config <file>', 'cluster definition (default: ./plinth.config.ts)')
    .option('--kubeconfig <file>', 'kubeconfig of the cluster (default: $KUBECONFIG or ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context to use')
    .option('--crds <dir>', "apply Argo CD's CRDs from this directory first (only the pinned chart's own are accepted)")
    .option('--helm-image <image>', `image of the in-cluster Helm job (default: ${DEFAULT_HELM_IMAGE})`)
    .option('--timeout <seconds>', 'how long to wait for the Argo CD install', (v) => Number(v))
    .option('--secrets-from <file>', 'restore the secret inputs from this escrow (plinth secrets backup) before anything syncs')
    .option('--identity <file>', 'age secret key for --secrets-from (default: $PLINTH_AGE_IDENTITY)')
    .option(...ENV)
    .option('--from-env <name>', 'restore --secrets-from although it is a backup of this other environment')
    .action(async (options) => {
      const result = await (await import('../commands/bootstrap.ts')).bootstrap(options, { ...(await liveContext()), env: io.env });
      if (globals.json) return void json(result);
      const c = colorsFor(io.stdout);
      out(
        [
          `${c.green('✓')} ${result.server}: Argo CD installed, root Application applied`,
          ...result.steps.map((s) => `  ${s.status === 'unchanged' ? c.dim('=') : c.green('+')} ${s.name} ${c.dim(s.status)}`),
          ...(result.restoredSecrets ?? []).map((r) => `  ${c.green('+')} secret input ${r.name} ${c.dim(`restored: ${r.keys.join(', ')}`)}`),
          '',
          c.bold('Left to do:'),
          ...result.checklist.map((item) => `  [ ] ${item}`),
        ].join('\n'),
      );
    });

  {
    // Values are read through readSecret (prompt or stdin) and files, never from arguments: shell history keeps those.
    const secretsCommand = program
      .command('secrets')
      .description('the secret inputs components declare: list, check, set, import, and an encrypted escrow (docs/secrets.md)');
    const withKubeconfig = (name: string) =>
      secretsCommand
        .command(name)
        .option('--kubeconfig <file>', 'kubeconfig of the cluster (default: $KUBECONFIG or ~/.kube/config)')
        .option('--context <name>', 'kubeconfig context to use');
    const withCluster = (name: string) =>
      withKubeconfig(name)
        .option('-c, --config <file>', 'cluster definition (default: ./plinth.config.ts)')
        .option(...ENV);
    const secretsContext = async (): Promise<SecretsContext> => {
      const { readSecret } = await import('../secrets/prompt.ts');
      return { ...(await liveContext()), env: io.env, readSecret: (label) => readSecret(process.stdin, io.stderr, label) };
    };
    const secrets = () => import('../commands/secrets.ts');
    const describe = () => import('./secrets.ts');
    const collect = (value: string, previous: string[] = []) => [...previous, value];

    secretsCommand
      .command('list')
      .description('the secret inputs of the config: keys, purpose, how to get them, which ExternalSecrets read them (offline)')
      .option('-c, --config <file>', 'cluster definition (default: ./plinth.config.ts)')
      .option(...ENV)
      .action(async (options) => {
        const result = await (await secrets()).list(options, await context());
        if (globals.json) json(result);
        else out((await describe()).describeList(result, colorsFor(io.stdout)));
      });

    withCluster('check')
      .description('which inputs are missing, incomplete or stale in the live store; exit 1 if any is missing')
      .action(async (options) => {
        const result = await (await secrets()).check(options, await liveContext());
        if (globals.json) json(result);
        else out((await describe()).describeCheck(result, colorsFor(io.stdout)));
        if (!result.ok) exitCode = 1;
      });

    withCluster('set')
      .description('set one key of an input; the value is read from a prompt without echo, or from stdin')
      .argument('<name>', 'declared input, e.g. designate-credentials')
      .argument('<key>', 'declared key of that input, e.g. OS_APPLICATION_CREDENTIAL_SECRET')
      .option('--force', 'write a name or key no enabled component declares')
      .action(async (name, key, options) => {
        const result = await (await secrets()).set(name, key, options, await secretsContext());
        if (globals.json) json(result);
        else out((await describe()).describeSet(result, colorsFor(io.stdout)));
      });

    withCluster('import')
      .description('one-time migration from a .env file of NAME.KEY=value lines; exit 1 if any variable is unknown')
      .argument('<file>', '.env file')
      .option('--input <name>', 'every variable of the file is a key of this one input (e.g. an openrc file)')
      .option('--dry-run', 'write nothing; show which names and keys would be written')
      .action(async (file, options) => {
        const result = await (await secrets()).importEnv(file, options, await liveContext());
        if (globals.json) json(result);
        else out((await describe()).describeImport(result, colorsFor(io.stdout)));
        if (result.unknown.length > 0) exitCode = 1;
      });

    // The escrow holds whatever the store holds, whichever config declared it: no --config.
    withKubeconfig('backup')
      .description('escrow: every input in the store, encrypted to age recipients, in a file of mode 0600')
      .requiredOption('--to <file>', 'the encrypted file to write')
      .option('--env <name>', "with environments: back up this one's store (its context; the backup records it)")
      .option('-c, --config <file>', 'with --env: the cluster definition naming it (default: ./plinth.config.ts)')
      .option('--recipient <age1...>', 'age public key to encrypt to (repeatable)', collect)
      .option('--recipients-file <file>', 'file of age public keys, one a line (repeatable)', collect)
      .action(async (options) => {
        const result = await (await secrets()).backup(options, await liveContext());
        if (globals.json) json(result);
        else out((await describe()).describeBackup(result, colorsFor(io.stdout)));
      });

    withCluster('restore')
      .description('put the inputs of an escrow file back, creating the store namespace if needed')
      .requiredOption('--from <file>', 'file written by plinth secrets backup')
      .option('--identity <file>', 'age secret key file (default: $PLINTH_AGE_IDENTITY)')
      .option('--from-env <name>', 'restore a backup of this other environment all the same (a backup only restores into its own by default)')
      .action(async (options) => {
        const result = await (await secrets()).restore(options, await secretsContext());
        if (globals.json) json(result);
        else out((await describe()).describeRestore(result, colorsFor(io.stdout)));
      });
  }

  {
    const CONFIG = ['-c, --config <file>', 'cluster definition (default: ./plinth.config.ts)'] as const;
    const KUBECONFIG = ['--kubeconfig <file>', 'admin kubeconfig of the cluster (default: $KUBECONFIG or ~/.kube/config)'] as const;
    const CONTEXT = ['--context <name>', 'kubeconfig context to use'] as const;
    program
        .command('onboard')
        .description("give a member DevPod access: their namespace, a least-privilege role there, and a kubeconfig (mode 0600)")
        .argument('<name>', 'member name (a DNS label)')
        .option('-n, --namespace <ns>', "the member's namespace (default: devpod-<name>)")
        .option('--ttl <duration>', 'lifetime of the token, e.g. 720h, 8h', '720h')
        .option('-o, --out <file>', 'where to write the kubeconfig (default: ./<name>.kubeconfig)')
        .option(...CONFIG)
        .option(...KUBECONFIG)
        .option(...CONTEXT)
        .option(...ENV)
    .action(async (name, options) => {
      const result = await (await import('../commands/access.ts')).onboard(name, options, await liveContext());
      // The token stays in the kubeconfig file: it is never printed, in text or JSON.
      if (globals.json) return void json(result);
      const c = colorsFor(io.stdout);
      out(
        [
          `${c.green('✓')} ${result.member} can use namespace ${result.namespace} until ${result.expiresAt}`,
          `  kubeconfig: ${result.kubeconfig} (mode 0600; hand it over privately)`,
          '  DevPod, on the member\'s machine:',
          `    ${result.devpod}`,
        ].join('\n'),
      );
    });
    program
        .command('offboard')
        .description("revoke a member's access: every token of their ServiceAccount stops working")
        .argument('<name>', 'member name')
        .option('-n, --namespace <ns>', "the member's namespace (default: devpod-<name>)")
        .option('--delete-namespace', "also delete the member's namespace and everything running in it")
        .option(...KUBECONFIG)
        .option(...CONTEXT)
    .action(async (name, options) => {
      const result = await (await import('../commands/access.ts')).offboard(name, options, await liveContext());
      if (globals.json) return void json(result);
      const c = colorsFor(io.stdout);
      out(
        `${c.green('✓')} ${result.member}: ${result.revoked ? 'access revoked' : 'no access left'}` +
          (result.namespaceDeleted ? `, namespace ${result.namespace} deleted` : ''),
      );
    });
    const access = program.command('access').description('who has DevPod access to the cluster');
    access
      .command('list')
      .description('members with access: namespace, since when, token expiry')
      .option(...KUBECONFIG)
      .option(...CONTEXT)
      .action(async (options) => {
      const entries = await (await import('../commands/access.ts')).accessList(options, await liveContext());
      if (globals.json) return void json(entries);
      const c = colorsFor(io.stdout);
      out(
        table(
          [
            ['MEMBER', 'NAMESPACE', 'SINCE', 'TOKEN EXPIRES'],
            ...entries.map((e) => [c.bold(e.member), e.namespace, e.since, e.expiresAt ? (e.expired ? c.red(`${e.expiresAt} (expired)`) : e.expiresAt) : '-']),
          ],
          c,
        ),
      );
    });
  }

  program
    .command('expose')
    .description("print an Ingress like the seed's example for a Service that is not a Plinth app: DNS record, HTTPS, certificate")
    .argument('<service>', 'name of the Service to expose')
    .requiredOption('--host <name>', 'public hostname, inside the cluster domain')
    .option('-n, --namespace <ns>', "the Service's namespace", 'default')
    .option('-p, --port <port>', 'the Service port', '80')
    .option('--path <prefix>', 'a path prefix to route to the Service, e.g. /api/v1 (repeatable; default /)', (value: string, previous: string[] = []) => [...previous, value])
    .option('--middleware <name>', 'a Traefik Middleware for the routes: name, namespace/name or name@provider (repeatable, applied in order)', (value: string, previous: string[] = []) => [...previous, value])
    .option('-c, --config <file>', 'cluster definition (default: ./plinth.config.ts)')
    .option('--env <name>', 'with environments: which one (required then)')
    .action(async (service, options) => {
      const result = await (await import('../commands/expose.ts')).expose({ service, ...options }, await context());
      if (globals.json) return void json(result.ingress);
      io.stdout.write(result.yaml);
      if (io.stderr.isTTY) io.stderr.write(`${colorsFor(io.stderr).dim(result.hint)}\n`);
    });

  program
    .command('docs')
    .description("print the cluster's catalogue page: components, pinned charts, waves (Mermaid), secret inputs")
    .option('-c, --config <file>', 'cluster definition (default: ./plinth.config.ts)')
    .option('--env <name>', 'with environments: which one (required then)')
    .action(async (options) => {
      const result = await (await import('../commands/docs.ts')).docs(options, await context());
      if (globals.json) json(result);
      else io.stdout.write(result.markdown);
    });

  program
    .command('validate')
    .description('check a render or manifests against Kubernetes and CRD schemas, cross-references and policies')
    .argument('[paths...]', 'manifest files or directories (default: the render of the cluster definition)')
    .option('-c, --config <file>', 'cluster definition (default: ./plinth.config.ts)')
    .addOption(new Option('-o, --output <format>', 'table, json, junit or sarif (--json means json)').choices(['table', 'json', 'junit', 'sarif'] as const).default('table' as const))
    .option('--strict', 'exit 1 on warnings too, not only on errors')
    .option('--info', 'table output: also list the CEL rules that could not be evaluated')
    .option('--schemas <dir>', 'schemas directory, CRDs under its crds/ (default: $PLINTH_SCHEMAS_DIR, else the cache of plinth schemas pull)')
    .option('--allow-empty', 'pass when the paths hold no objects (by default that is a usage error, exit 2)')
    .option('--env <name>', "with environments: validate this one's render (required then; or validate the rendered/ folder, every tree)")
    .action(async (paths, options) => {
      const { validate } = await import('../commands/validate.ts');
      const { toJunit, toSarif } = await import('../validate/report.ts');
      const result = await validate({ ...options, paths }, { ...baseContext(), env: io.env });
      const output = globals.json ? 'json' : options.output;
      if (output === 'json') json(result.report);
      else if (output === 'junit') io.stdout.write(toJunit(result.report, result.subjects));
      else if (output === 'sarif') json(toSarif(result.report, result.lines, version()));
      else out((await import('./validate.ts')).describeValidate(result.report, colorsFor(io.stdout), options.info === true));
      if (result.report.failed) exitCode = 1;
    });

  program
    .command('db')
    .description("the PostgreSQL servers' backups")
    .command('restore')
    .description("a new Cluster recovered from a server's backups (its ObjectStore): printed, or created with --apply")
    .argument('<server>', 'a server of postgres.servers')
    .option('--to-time <time>', 'recover to this point in time, RFC 3339 with a zone (default: the end of the archive)')
    .option('--as <name>', 'name of the Cluster to create (default: the server, to rebuild it in place)')
    .option('--archive-as <folder>', 'folder the restored Cluster archives to (default: its name when that is a new folder)')
    .option('--apply', 'create the Cluster on the cluster (never replaces one)')
    .option('-c, --config <file>', 'cluster definition (default: ./plinth.config.ts)')
    .option('--kubeconfig <file>', 'kubeconfig of the cluster (default: $KUBECONFIG or ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context to use')
    .option(...ENV)
    .action(async (server, options) => {
      const result = await (await import('../commands/db.ts')).dbRestore(server, options, await liveContext());
      if (globals.json) return void json(result);
      const c = colorsFor(io.stdout);
      const from = `${result.source.destinationPath.replace(/\/$/, '')}/${result.source.serverName}`;
      const what = `Cluster ${result.cluster.namespace}/${result.cluster.name} recovering from ${from}${result.targetTime ? ` to ${result.targetTime}` : ''}, archiving to ${result.archivesTo}`;
      if (result.appliedTo) out([`${c.green('✓')} created ${what} on ${result.appliedTo}`, ...result.next.map((n) => `  next: ${n}`)].join('\n'));
      else {
        out((await import('../core/yaml.ts')).toYaml(result.object));
        io.stderr.write(`${[`# ${what}`, ...result.next.map((n) => `# next: ${n}`)].join('\n')}\n`);
      }
    });

  program
    .command('schemas')
    .description('manage the schemas plinth validate reads')
    .command('pull')
    .description('download the CRDs and default values (values.yaml, values.schema.json) of the pinned chart versions into the schemas cache, checked against their pinned SHA-256')
    .option('--out <dir>', 'schemas directory to fill (default: $PLINTH_SCHEMAS_DIR, else ~/.cache/plinth/schemas)')
    .option('--from <url>', 'a mirror serving <component>/<file> (and values/<file>, schemas/<file>) instead of the upstream release URLs')
    .option('--component <id...>', 'only these components (e.g. cert-manager keda)')
    .action(async (options) => {
      const { schemasPull } = await import('../commands/validate.ts');
      const result = await schemasPull(options, { ...baseContext(), env: io.env });
      if (globals.json) json(result);
      else out((await import('./validate.ts')).describePull(result, colorsFor(io.stdout)));
    });

  program
    .command('promote')
    .description("deploy Freight to an app's stage through Kargo, re-run a failed promotion, or roll back (--previous)")
    .argument('<app>', 'app name, as in the config')
    .argument('<stage>', 'one of its stages, e.g. production')
    .option('--freight <name>', 'this Freight: its name, a unique prefix of it, or its alias (plinth releases lists them)')
    .option('--image <tag>', 'the Freight whose image has this tag (or sha256: digest); the newest if the tag was pushed again')
    .option('--previous', 'the Freight the stage ran before its current one (roll back)')
    .option('--wait', "follow the promotion's steps; exit 1 unless it succeeds")
    .option('--timeout <seconds>', 'with --wait: stop waiting after this long (default 1800)', (v) => Number(v))
    .option('--force', 'promote Freight not yet verified upstream, approving it for the stage first')
    .option('-c, --config <file>', 'cluster definition (default: ./plinth.config.ts)')
    .option('--kubeconfig <file>', 'kubeconfig of the cluster (default: $KUBECONFIG or ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context to use')
    .option(...ENV)
    .action(async (app, stage, options) => {
      const result = await (await import('../commands/promote.ts')).promote(app, stage, options, await liveContext());
      if (globals.json) json(result);
      else out((await import('./promote.ts')).describePromote(result, colorsFor(io.stdout)));
      if (result.phase !== undefined && result.phase !== 'Succeeded') exitCode = 1;
    });

  program
    .command('releases')
    .description("per stage of an app: the Freight it runs and ran before, with tag, digest, when, by whom and the stage branch's commit")
    .argument('<app>', 'app name, as in the config')
    .option('-c, --config <file>', 'cluster definition (default: ./plinth.config.ts)')
    .option('--kubeconfig <file>', 'kubeconfig of the cluster (default: $KUBECONFIG or ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context to use')
    .option(...ENV)
    .action(async (app, options) => {
      const result = await (await import('../commands/releases.ts')).releases(app, options, await liveContext());
      if (globals.json) json(result);
      else out((await import('./promote.ts')).describeReleases(result, colorsFor(io.stdout)));
    });

  program
    .command('webhooks')
    .description("each app's push receiver: the URL Kargo published and where to paste it; exit 1 while any is not published")
    .option('--app <name>', 'only this app')
    .option('-c, --config <file>', 'cluster definition (default: ./plinth.config.ts)')
    .option('--kubeconfig <file>', 'kubeconfig of the cluster (default: $KUBECONFIG or ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context to use')
    .option(...ENV)
    .action(async (options) => {
      const result = await (await import('../commands/webhooks.ts')).webhooks(options, await liveContext());
      if (globals.json) json(result);
      else out((await import('./webhooks.ts')).describeWebhooks(result, colorsFor(io.stdout)));
      if (!result.ready) exitCode = 1;
    });

  program
    .command('doctor')
    .description('which features of the live cluster work, which are broken, and why (cause chains); exit 1 if any check fails')
    .option('-c, --config <file>', 'cluster definition (default: ./plinth.config.ts)')
    .option('--kubeconfig <file>', 'kubeconfig of the cluster (default: $KUBECONFIG or ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context to use')
    .option(...ENV)
    .option('--watch [seconds]', 're-run every N seconds (default 10) and redraw, until interrupted')
    .option('--report <file>', 'also write a self-contained HTML report to this file')
    .option('--dns-server <ip[:port]>', "look the public hosts up at this name server (e.g. the zone's own) instead of the system's resolver")
    .option('--no-dns', 'do not look the public hosts up in DNS')
    .action(async (options) => {
      const { doctor, watchDoctor } = await import('../commands/doctor.ts');
      const { describeDoctor } = await import('./doctor.ts');
      const { htmlReport } = await import('../health/report.ts');
      const { writeFile } = await import('node:fs/promises');
      const { resolve } = await import('node:path');
      const { watch, report, ...connect } = options;
      const show = async (result: Awaited<ReturnType<typeof doctor>>) => {
        if (report) await writeFile(resolve(io.cwd, report), htmlReport(result));
        if (globals.json) io.stdout.write(`${JSON.stringify(result, null, watch === undefined ? 2 : undefined)}\n`);
        else {
          if (watch !== undefined && io.stdout.isTTY) io.stdout.write('\u001b[2J\u001b[H');
          out(describeDoctor(result, colorsFor(io.stdout)));
        }
        exitCode = result.status === 'fail' ? 1 : 0;
      };
      if (watch === undefined) return void (await show(await doctor(connect, await liveContext())));
      const seconds = watch === true ? 10 : Number(watch);
      if (!(seconds > 0)) throw new UsageError(`--watch takes a number of seconds, not "${watch}"`, 'e.g. --watch 5');
      const stop = new AbortController();
      const interrupt = () => stop.abort();
      process.once('SIGINT', interrupt);
      try {
        await watchDoctor(connect, await liveContext(), { intervalMs: seconds * 1000, signal: stop.signal, onResult: show });
      } finally {
        process.off('SIGINT', interrupt);
      }
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
    endTransient();
    return exitCode;
  } catch (error) {
    endTransient();
    return reportError(error, io, globals, colorsFor(io.stderr), json);
  }
}

function reportError(error: unknown, io: Io, globals: GlobalOptions, c: Colors, json: (value: unknown) => void): number {
  if (error instanceof CommanderError) {
    // --help and --version end through here too, with exit code 0.
    return error.exitCode === 0 ? 0 : 2;
  }
  if (error instanceof ConfigError) {
    if (globals.json) json({ error: { type: 'config', file: error.file, message: error.message, issues: error.issues } });
    else
      io.stderr.write(
        `${c.red('error')}: ${error.message}${error.file ? '' : ''}\n${formatIssues(error.issues, c)}\n` +
          `${c.dim('Nothing was written.')}\n`,
      );
    return error.exitCode;
  }
  if (error instanceof BlockedError) {
    if (globals.json) json({ error: { type: 'blocked', message: error.message, hint: error.hint, changes: error.changes } });
    else io.stderr.write(`${c.red('error')}: ${error.message}\n${describeChanges(error.changes, c, '')}\n  ${c.dim(`hint: ${error.hint}`)}\n`);
    return 1;
  }
  if (error instanceof PlinthError) {
    if (globals.json) json({ error: { type: error.name, message: error.message, hint: error.hint } });
    else io.stderr.write(`${c.red('error')}: ${error.message}\n${error.hint ? `  ${c.dim(`hint: ${error.hint}`)}\n` : ''}`);
    return error.exitCode;
  }
  const err = error instanceof Error ? error : new Error(String(error));
  if (globals.json) json({ error: { type: 'internal', message: err.message } });
  else
    io.stderr.write(
      `${c.red('unexpected error')}: ${err.message}\n` +
        (globals.debug || io.env.PLINTH_DEBUG ? `${err.stack}\n` : c.dim('  run with --debug for the stack trace\n')),
    );
  return EXIT_INTERNAL;
}

function describeRender(result: RenderResult, cwd: string, c: Colors): string {
  const where = relative(cwd, result.outDir) || '.';
  const { plan } = result;
  const counts = `${plan.create.length} created, ${plan.update.length} updated, ${plan.delete.length} removed, ${plan.unchanged.length} unchanged`;
  const removals = result.removals.length ? `\n${c.bold('Once Argo CD syncs it:')}\n${result.removals.map((r) => `  ${c.red('-')} ${r}`).join('\n')}` : '';
  const warnings = result.warnings.map((w) => `\n${c.yellow('warning')}: ${w}`).join('');
  if (result.check) {
    if (!result.stale) return `${c.green('✓')} ${where} is up to date (${result.files} files)${warnings}`;
    const lines = [
      ...plan.create.map((f) => `  ${c.green('+')} ${f}  (missing)`),
      ...plan.update.map((f) => `  ${c.yellow('~')} ${f}  (differs)`),
      ...plan.delete.map((f) => `  ${c.red('-')} ${f}  (no longer rendered)`),
    ];
    return `${c.red('✗')} ${where} is stale: ${counts}\n${lines.join('\n')}${removals}${warnings}\n${c.dim('run `plinth render` and commit the result')}`;
  }
  const waves = new Map<number, string[]>();
  for (const { id, wave } of result.components) waves.set(wave, [...(waves.get(wave) ?? []), id]);
  const waveText = [...waves].map(([wave, ids]) => `  wave ${wave}: ${ids.join(', ')}`).join('\n');
  return `${c.green('✓')} rendered ${result.files} files (${result.objects} objects) into ${where}/: ${counts}\n${waveText}${removals}${warnings}`;
}

function describeChanges(changes: ReportedChange[], c: Colors, title: string): string {
  const mark: Record<string, string> = {
    create: c.green('+'),
    update: c.yellow('~'),
    prune: c.red('-'),
    keep: c.yellow('!'),
    skip: c.dim('?'),
    error: c.red('✗'),
  };
  const lines = title ? [title] : [];
  for (const change of changes) {
    if (change.action === 'unchanged') continue;
    lines.push(`${mark[change.action]} ${change.ref}${change.reason ? c.dim(`  (${change.reason})`) : ''}`);
    for (const immutable of change.immutable ?? [])
      lines.push(`    ${c.bold(immutable.field)}: ${immutable.explanation}\n    ${c.dim(`manual step: ${immutable.manualStep}`)}`);
    if (change.diff && change.action === 'update')
      for (const line of change.diff.split('\n').filter((l) => !l.startsWith('===')))
        lines.push(`    ${line.startsWith('+') ? c.green(line) : line.startsWith('-') ? c.red(line) : c.dim(line)}`);
  }
  return lines.join('\n');
}
