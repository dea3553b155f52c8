import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { Command, CommanderError, Option } from '@commander-js/extra-typings';
import { createColors } from 'picocolors';
import { registry } from '../components/index.ts';
import type { Context } from '../commands/context.ts';
import { docs } from '../commands/docs.ts';
import { graph } from '../commands/graph.ts';
import { render, type RenderResult } from '../commands/render.ts';
import { ConfigError, PlinthError } from '../errors.ts';
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
  const out = (text: string) => io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  const json = (value: unknown) => out(JSON.stringify(value, null, 2));

  const context = (): Context => {
    const c = colorsFor(io.stderr);
    return {
      cwd: io.cwd,
      registry,
      progress: (message) => {
        if (!globals.json && io.stderr.isTTY) io.stderr.write(`${c.dim(message)}\n`);
      },
    };
  };

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
    .command('render')
    .description('write the GitOps tree Argo CD syncs (deterministic, offline)')
    .option('-c, --config <file>', 'cluster definition (default: ./plinth.config.ts, .js, .json or .yaml)')
    .option('-o, --out <dir>', "output directory (default: the config's git.path beside the config file)")
    .option('--check', 'write nothing; exit 1 if the tree on disk is stale (for CI)')
    .action(async (options) => {
      const result = await render(options, context());
      if (globals.json) json(result);
      else out(describeRender(result, io.cwd, colorsFor(io.stdout)));
      if (result.check && result.stale) exitCode = 1;
    });

  program
    .command('graph')
    .description('show the components in install order: sync waves, dependencies, charts, secret inputs')
    .option('-c, --config <file>', 'cluster definition (default: ./plinth.config.ts)')
    .action(async (options) => {
      const result = await graph(options, context());
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

  program
    .command('docs')
    .description("print the cluster's catalogue page: components, pinned charts, waves (Mermaid), secret inputs")
    .option('-c, --config <file>', 'cluster definition (default: ./plinth.config.ts)')
    .action(async (options) => {
      const result = await docs(options, context());
      if (globals.json) json(result);
      else io.stdout.write(result.markdown);
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (error) {
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
  if (result.check) {
    if (!result.stale) return `${c.green('✓')} ${where} is up to date (${result.files} files)`;
    const lines = [
      ...plan.create.map((f) => `  ${c.green('+')} ${f}  (missing)`),
      ...plan.update.map((f) => `  ${c.yellow('~')} ${f}  (differs)`),
      ...plan.delete.map((f) => `  ${c.red('-')} ${f}  (no longer rendered)`),
    ];
    return `${c.red('✗')} ${where} is stale: ${counts}\n${lines.join('\n')}\n${c.dim('run `plinth render` and commit the result')}`;
  }
  const waves = new Map<number, string[]>();
  for (const { id, wave } of result.components) waves.set(wave, [...(waves.get(wave) ?? []), id]);
  const waveText = [...waves].map(([wave, ids]) => `  wave ${wave}: ${ids.join(', ')}`).join('\n');
  return `${c.green('✓')} rendered ${result.files} files (${result.objects} objects) into ${where}/: ${counts}\n${waveText}`;
}
