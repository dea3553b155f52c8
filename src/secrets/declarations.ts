import { configSecretInputs } from '../apps/secrets.ts';
import type { ClusterConfig } from '../config/schema.ts';
import { SECRET_STORE, SECRETS_NAMESPACE } from '../core/conventions.ts';
import { describeObject, type RenderedTree } from '../core/render.ts';
import type { SecretInput } from '../core/types.ts';

/** Where a rendered ExternalSecret reads from the store. */
export interface Consumer {
  /** `ExternalSecret/<namespace>/<name>`. */
  ref: string;
  /** Keys of the input it reads. */
  keys: string[];
}

/** A secret input as the whole config declares it: components may share one (designate-credentials). */
export interface Declaration extends SecretInput {
  /** Components that declare it, or `app:<name>`, or `secretInputs`. */
  components: string[];
  /** Rendered ExternalSecrets that read it. */
  consumers: Consumer[];
}

/** A mismatch between the declarations and the ExternalSecrets that read the store. */
export interface RenderProblem {
  kind: 'undeclared-source' | 'unread-input' | 'conflicting-declaration';
  input: string;
  key?: string;
  /** The ExternalSecret or components concerned. */
  where: string;
  message: string;
  hint?: string;
}

/** The part of the config that declares inputs beside the components. */
export type InputsConfig = Pick<ClusterConfig, 'apps' | 'secretInputs'>;

interface StoreRead {
  ref: string;
  input: string;
  key: string | undefined;
}

/**
 * Every (ExternalSecret, input, key) the render reads from Plinth's store: through the ClusterSecretStore, or through
 * a SecretStore whose kubernetes provider reads the store namespace (an app's reader, src/apps/secrets.ts).
 */
function storeReads(tree: RenderedTree): StoreRead[] {
  const reads: StoreRead[] = [];
  const storeReaders = new Set<string>();
  for (const { object } of tree.objects) {
    const provider = (object.spec as { provider?: { kubernetes?: { remoteNamespace?: string } } } | undefined)?.provider;
    if (object.kind === 'SecretStore' && provider?.kubernetes?.remoteNamespace === SECRETS_NAMESPACE)
      storeReaders.add(`${object.metadata.namespace ?? ''}/${object.metadata.name}`);
  }
  const readsStore = (object: { metadata: { namespace?: string } }, ref?: { kind?: string; name?: string }) =>
    ref?.kind === 'ClusterSecretStore'
      ? ref.name === SECRET_STORE
      : ref?.kind === 'SecretStore' && storeReaders.has(`${object.metadata.namespace ?? ''}/${ref.name}`);
  for (const { object } of tree.objects) {
    if (object.kind !== 'ExternalSecret') continue;
    const spec = object.spec as {
      secretStoreRef?: { kind?: string; name?: string };
      data?: { remoteRef?: { key?: string; property?: string } }[];
      dataFrom?: { extract?: { key?: string } }[];
    };
    if (!readsStore(object, spec.secretStoreRef)) continue;
    const ref = describeObject(object);
    for (const entry of spec.data ?? []) {
      if (entry.remoteRef?.key) reads.push({ ref, input: entry.remoteRef.key, key: entry.remoteRef.property });
    }
    // extract reads every key of the input.
    for (const entry of spec.dataFrom ?? []) {
      if (entry.extract?.key) reads.push({ ref, input: entry.extract.key, key: undefined });
    }
  }
  return reads;
}

/** The inputs each declarer (a component, an app, `secretInputs`) declares. */
const declarers = (tree: RenderedTree, config: InputsConfig | undefined): { id: string; secrets: SecretInput[] }[] => [
  ...tree.components.map((component) => ({ id: component.id, secrets: component.secrets })),
  ...(config ? configSecretInputs(config).map(({ declaredBy, ...input }) => ({ id: declaredBy, secrets: [input] })) : []),
];

/**
 * The secret inputs of a rendered config, merged by name, with who declares and who reads each one. With the
 * config, the inputs of its apps and its `secretInputs` too.
 */
export function declarations(tree: RenderedTree, config?: InputsConfig): Declaration[] {
  const byName = new Map<string, Declaration>();
  for (const component of declarers(tree, config)) {
    for (const input of component.secrets) {
      const existing = byName.get(input.name);
      if (!existing) {
        byName.set(input.name, { ...input, keys: input.keys.map((k) => ({ ...k })), components: [component.id], consumers: [] });
        continue;
      }
      if (!existing.components.includes(component.id)) existing.components.push(component.id);
      for (const key of input.keys) if (!existing.keys.some((k) => k.key === key.key)) existing.keys.push({ ...key });
    }
  }
  const consumers = new Map<string, Map<string, Set<string>>>();
  for (const read of storeReads(tree)) {
    const byRef = consumers.get(read.input) ?? new Map<string, Set<string>>();
    consumers.set(read.input, byRef);
    const keys = byRef.get(read.ref) ?? new Set<string>();
    byRef.set(read.ref, keys);
    const declared = byName.get(read.input);
    for (const key of read.key === undefined ? (declared?.keys.map((k) => k.key) ?? []) : [read.key]) keys.add(key);
  }
  for (const declaration of byName.values()) {
    declaration.consumers = [...(consumers.get(declaration.name) ?? [])]
      .map(([ref, keys]) => ({ ref, keys: [...keys].sort() }))
      .sort((a, b) => (a.ref < b.ref ? -1 : a.ref > b.ref ? 1 : 0));
  }
  return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * Checks the render both ways: every input and key an ExternalSecret reads from the store is declared
 * (else `check` could never tell it is missing), and every declared key is read by some ExternalSecret
 * (else the value people type in goes nowhere). Components declaring one input differently are reported too.
 */
export function renderProblems(tree: RenderedTree, config?: InputsConfig): RenderProblem[] {
  const declared = declarations(tree, config);
  const byName = new Map(declared.map((d) => [d.name, d]));
  const problems: RenderProblem[] = [];
  for (const read of storeReads(tree)) {
    const input = byName.get(read.input);
    if (!input) {
      problems.push({
        kind: 'undeclared-source',
        input: read.input,
        ...(read.key !== undefined && { key: read.key }),
        where: read.ref,
        message: `${read.ref} reads secret input "${read.input}", which no enabled component declares`,
        hint: `declare it under secretInputs: [{ name: '${read.input}', purpose: '...', keys: { ${read.key ?? 'KEY'}: '...' } }]`,
      });
    } else if (read.key !== undefined && !input.keys.some((k) => k.key === read.key)) {
      problems.push({
        kind: 'undeclared-source',
        input: read.input,
        key: read.key,
        where: read.ref,
        message: `${read.ref} reads key "${read.key}" of secret input "${read.input}", which declares only ${input.keys.map((k) => k.key).join(', ')}`,
      });
    }
  }
  for (const input of declared) {
    for (const { key } of input.keys) {
      if (!input.consumers.some((c) => c.keys.includes(key)))
        problems.push({
          kind: 'unread-input',
          input: input.name,
          key,
          where: input.components.join(', '),
          message: `key "${key}" of secret input "${input.name}" is declared by ${input.components.join(', ')} but no ExternalSecret reads it`,
        });
    }
  }
  for (const component of declarers(tree, config)) {
    for (const input of component.secrets) {
      const merged = byName.get(input.name)!;
      if (merged.keys.length !== input.keys.length)
        problems.push({
          kind: 'conflicting-declaration',
          input: input.name,
          where: merged.components.join(', '),
          message: `components ${merged.components.join(', ')} declare secret input "${input.name}" with different keys`,
        });
    }
  }
  // An app's input or a secretInputs entry named like a component's input would share its Secret in the store.
  for (const input of declared) {
    const fromConfig = input.components.filter((c) => c.startsWith('app:') || c === 'secretInputs');
    if (fromConfig.length > 0 && fromConfig.length < input.components.length)
      problems.push({
        kind: 'conflicting-declaration',
        input: input.name,
        where: input.components.join(', '),
        message: `${fromConfig.join(', ')} declares secret input "${input.name}", which component ${input.components.filter((c) => !fromConfig.includes(c)).join(', ')} declares too`,
        hint: 'rename the input in the config: both would read and write the same Secret in the store',
      });
  }
  return problems.filter((p, i) => problems.findIndex((q) => q.message === p.message) === i);
}
