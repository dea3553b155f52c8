import { chmod, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { loadCluster } from '../config/load.ts';
import { SECRETS_NAMESPACE } from '../core/conventions.ts';
import { renderTree, type RenderedTree } from '../core/render.ts';
import type { K8sObject } from '../core/types.ts';
import { PlinthError, UsageError } from '../errors.ts';
import type { ConnectOptions, LiveCluster } from '../kube/client.ts';
import { declarations, renderProblems, type Declaration, type InputsConfig, type RenderProblem } from '../secrets/declarations.ts';
import { decryptEscrow, encryptBackup, parseIdentities, parseRecipients } from '../secrets/escrow.ts';
import { planEnvImport, resolveTarget, type Mapped, type Unknown } from '../secrets/match.ts';
import { storeStatus, type StoreStatus } from '../secrets/status.ts';
import { ensureStoreNamespace, readStore, writeInput, type StoreContents } from '../secrets/store.ts';
import type { Context } from './context.ts';
import type { LiveContext } from './live.ts';
import { connectEnvironment, readIdentity } from './environment.ts';
import type { ClusterConfig } from '../config/schema.ts';

export interface SecretsOptions extends ConnectOptions {
  config?: string;
  /** With environments: the one whose store to work on (required then); its kubeconfig context unless --context. */
  env?: string;
}

export interface SecretsContext extends LiveContext {
  env: Record<string, string | undefined>;
  /** Reads one secret value (a prompt without echo on a terminal, else stdin); injected so tests can drive it. */
  readSecret: (label: string) => Promise<string>;
}

/** What an input looked like before and after a write: names and counts only, never values. */
export interface Written {
  name: string;
  keys: string[];
  action: 'created' | 'updated';
}

/** The rendered tree and what the config declares besides the components (apps' inputs, secretInputs). */
interface Rendered extends RenderedTree {
  inputsConfig: InputsConfig;
  config: ClusterConfig;
}

async function renderConfig(options: SecretsOptions, ctx: Context): Promise<Rendered> {
  const resolved = await loadCluster(ctx.cwd, options.config, ctx.registry, options.env);
  return { ...renderTree(resolved, ctx.registry), inputsConfig: resolved.config, config: resolved.config };
}

const storeNamespaceOf = (tree: RenderedTree): K8sObject | undefined =>
  tree.objects.find((o) => o.object.kind === 'Namespace' && o.object.metadata.name === SECRETS_NAMESPACE)?.object;

export interface ListResult {
  inputs: Declaration[];
  problems: RenderProblem[];
}

/** The secret inputs the config declares, offline: names, keys, purpose, how to get them, who reads them. */
export async function list(options: SecretsOptions, ctx: Context): Promise<ListResult> {
  const tree = await renderConfig(options, ctx);
  return { inputs: declarations(tree, tree.inputsConfig), problems: renderProblems(tree, tree.inputsConfig) };
}

export interface CheckResult extends StoreStatus {
  server: string;
  namespace: string;
  problems: RenderProblem[];
  /** False when an input is missing or incomplete, or the render reads an undeclared input. */
  ok: boolean;
}

/** Compares the declarations with the live store; values are read to tell empty from set, and never returned. */
export async function check(options: SecretsOptions, ctx: LiveContext): Promise<CheckResult> {
  const tree = await renderConfig(options, ctx);
  const cluster = await connectEnvironment(ctx, options, tree.config);
  const status = storeStatus(declarations(tree, tree.inputsConfig), await readStore(cluster));
  const problems = renderProblems(tree, tree.inputsConfig);
  return {
    server: cluster.server,
    namespace: SECRETS_NAMESPACE,
    ...status,
    problems,
    ok: status.missing === 0 && !problems.some((p) => p.kind !== 'unread-input'),
  };
}

export interface SetOptions extends SecretsOptions {
  force?: boolean;
}

export interface SetResult {
  server: string;
  name: string;
  key: string;
  action: Written['action'];
  declared: boolean;
}

/** Writes one key of one input, the value read through the context: never an argument, so never in shell history. */
export async function set(name: string, key: string, options: SetOptions, ctx: SecretsContext): Promise<SetResult> {
  const tree = await renderConfig(options, ctx);
  const target = resolveTarget(declarations(tree, tree.inputsConfig), name, key, options.force);
  const value = await ctx.readSecret(`${name} ${key}`);
  if (value.trim() === '') throw new UsageError(`the value for ${name} ${key} is empty; nothing was written`, 'type or pipe the value on stdin');
  const cluster = await connectEnvironment(ctx, options, tree.config);
  await ensureStoreNamespace(cluster, storeNamespaceOf(tree));
  const action = await writeInput(cluster, name, new Map([[key, value]]));
  return { server: cluster.server, name: target.name, key: target.key, action, declared: target.declared };
}

export interface ImportOptions extends SecretsOptions {
  /** Every variable of the file is a key of this input (an openrc file, say). */
  input?: string;
  dryRun?: boolean;
}

export interface ImportResult {
  server?: string;
  file: string;
  dryRun: boolean;
  /** Variables mapped to declared keys: written, or what would be written with --dry-run. */
  mapped: Mapped[];
  written: Written[];
  unknown: Unknown[];
  /** Declared keys the file does not give; inStore tells whether the cluster has them already (unknown in a dry run). */
  missing: { name: string; key: string; inStore?: boolean }[];
  /** Declared keys left empty in the file: not written. */
  empty: Mapped[];
}

/** One-time migration from a .env file: writes the variables that map to declared keys, reports the rest. */
export async function importEnv(file: string, options: ImportOptions, ctx: LiveContext): Promise<ImportResult> {
  const tree = await renderConfig(options, ctx);
  let text: string;
  try {
    text = await readFile(resolve(ctx.cwd, file), 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? 'unreadable'}`, 'pass the path of a .env file');
  }
  const plan = planEnvImport(text, declarations(tree, tree.inputsConfig), options.input);
  const result: ImportResult = { file, dryRun: options.dryRun === true, mapped: plan.known, written: [], unknown: plan.unknown, missing: plan.missing, empty: plan.empty };
  if (options.dryRun) return result;
  const cluster = await connectEnvironment(ctx, options, tree.config);
  result.server = cluster.server;
  if (plan.values.size > 0) await ensureStoreNamespace(cluster, storeNamespaceOf(tree));
  for (const [name, values] of plan.values) {
    result.written.push({ name, keys: [...values.keys()].sort(), action: await writeInput(cluster, name, values) });
  }
  const store = await readStore(cluster);
  result.missing = plan.missing.map((m) => ({ ...m, inStore: (store.get(m.name)?.get(m.key)?.toString('utf8') ?? '').trim() !== '' }));
  return result;
}

export interface BackupOptions extends ConnectOptions {
  /** With --env: the config naming the environment's context; the backup records the environment. */
  config?: string;
  env?: string;
  to: string;
  recipient?: string[];
  recipientsFile?: string[];
}

export interface BackupResult {
  server: string;
  /** The environment recorded in the backup. */
  environment?: string;
  file: string;
  recipients: number;
  inputs: { name: string; keys: string[] }[];
}

/**
 * Escrow: every input in the store, encrypted to the recipients' age public keys. The plaintext exists
 * only in memory; the file is written beside its target with mode 0600 and renamed into place.
 */
export async function backup(options: BackupOptions, ctx: LiveContext): Promise<BackupResult> {
  const files = await Promise.all(
    (options.recipientsFile ?? []).map(async (path) => {
      try {
        return { path, text: await readFile(resolve(ctx.cwd, path), 'utf8') };
      } catch (error) {
        throw new UsageError(`cannot read recipients file ${path}: ${(error as NodeJS.ErrnoException).code ?? 'unreadable'}`);
      }
    }),
  );
  const recipients = parseRecipients(options.recipient ?? [], files);
  // The backup records the environment it is of: --env's (checked against the cluster), else what the cluster records.
  const config = options.env !== undefined ? (await loadCluster(ctx.cwd, options.config, ctx.registry, options.env)).config : undefined;
  const cluster = config ? await connectEnvironment(ctx, options, config) : await ctx.connect(options);
  const environment = config?.environment?.name ?? (await readIdentity(cluster))?.environment;
  const contents = await readStore(cluster);
  if (contents.size === 0)
    throw new PlinthError(`the store namespace ${SECRETS_NAMESPACE} on ${cluster.server} holds no secret inputs; nothing was written`, 'set them first: plinth secrets set NAME KEY');
  const encrypted = await encryptBackup(contents, SECRETS_NAMESPACE, recipients, environment);
  const target = resolve(ctx.cwd, options.to);
  const temp = join(dirname(target), `.${basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(temp, encrypted, { mode: 0o600, flag: 'wx' });
    await chmod(temp, 0o600);
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { force: true });
    throw new PlinthError(`cannot write ${options.to}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  return { server: cluster.server, file: options.to, recipients: recipients.length, inputs: summary(contents), ...(environment && { environment }) };
}

const summary = (contents: StoreContents) => [...contents].map(([name, keys]) => ({ name, keys: [...keys.keys()].sort() })).sort((a, b) => (a.name < b.name ? -1 : 1));

export interface RestoreOptions extends SecretsOptions {
  from: string;
  /** Restore a backup of this (other) environment all the same: the explicit choice the guard asks for. */
  fromEnv?: string;
  /** File holding the age secret key; else $PLINTH_AGE_IDENTITY. */
  identity?: string;
}

export interface RestoreResult {
  server: string;
  file: string;
  createdNamespace: boolean;
  restored: Written[];
}

/** Decrypts an escrow file; the identity comes from a file or PLINTH_AGE_IDENTITY, never from an argument. */
export async function openBackup(
  from: string,
  identity: string | undefined,
  ctx: { cwd: string; env: Record<string, string | undefined> },
): Promise<{ contents: StoreContents; environment?: string }> {
  let identities: string[];
  if (identity) {
    let text: string;
    try {
      text = await readFile(resolve(ctx.cwd, identity), 'utf8');
    } catch (error) {
      throw new UsageError(`cannot read identity file ${identity}: ${(error as NodeJS.ErrnoException).code ?? 'unreadable'}`);
    }
    identities = parseIdentities(text, `identity file ${identity}`);
  } else if (ctx.env.PLINTH_AGE_IDENTITY) {
    identities = parseIdentities(ctx.env.PLINTH_AGE_IDENTITY, 'PLINTH_AGE_IDENTITY');
  } else {
    throw new UsageError('restoring needs the age secret key the backup was encrypted to', 'pass --identity FILE, or set PLINTH_AGE_IDENTITY');
  }
  let file: Uint8Array;
  try {
    file = await readFile(resolve(ctx.cwd, from));
  } catch (error) {
    throw new UsageError(`cannot read ${from}: ${(error as NodeJS.ErrnoException).code ?? 'unreadable'}`, 'pass the file plinth secrets backup wrote');
  }
  return decryptEscrow(file, identities, from);
}

/**
 * A backup goes back into the environment it was made for. Into another only with --from-env naming the one it
 * is of: production's inputs never land in local by a slip. A backup that records no environment (made before
 * the config had environments) restores anywhere.
 */
export function checkBackupEnvironment(file: string, backup: string | undefined, target: string | undefined, fromEnv: string | undefined): void {
  if (fromEnv !== undefined && fromEnv !== backup)
    throw new UsageError(
      `--from-env ${fromEnv}: ${file} is a backup of ${backup ? `environment "${backup}"` : 'no environment'}; nothing was restored`,
      backup ? `pass --from-env ${backup} to restore it here all the same` : 'leave out --from-env: this backup records no environment',
    );
  if (backup === undefined || backup === target || fromEnv === backup) return;
  throw new UsageError(
    `${file} is a backup of environment "${backup}"; refusing to restore it into ${target ? `environment "${target}"` : 'a cluster of a config without environments'}; nothing was restored`,
    `restore a backup of ${target ?? 'this cluster'}, or pass --from-env ${backup} to put ${backup}'s secret inputs here on purpose`,
  );
}

/** Puts decrypted inputs into the store, creating the locked-down namespace first if needed. */
export async function restoreInto(cluster: LiveCluster, contents: StoreContents, tree: RenderedTree): Promise<Omit<RestoreResult, 'server' | 'file'>> {
  const createdNamespace = await ensureStoreNamespace(cluster, storeNamespaceOf(tree));
  const restored: Written[] = [];
  for (const [name, values] of [...contents].sort(([a], [b]) => (a < b ? -1 : 1))) {
    restored.push({ name, keys: [...values.keys()].sort(), action: await writeInput(cluster, name, values) });
  }
  return { createdNamespace, restored };
}

export async function restore(options: RestoreOptions, ctx: SecretsContext): Promise<RestoreResult> {
  const tree = await renderConfig(options, ctx);
  const { contents, environment } = await openBackup(options.from, options.identity, ctx);
  checkBackupEnvironment(options.from, environment, tree.config.environment?.name, options.fromEnv);
  const cluster = await connectEnvironment(ctx, options, tree.config);
  return { server: cluster.server, file: options.from, ...(await restoreInto(cluster, contents, tree)) };
}
