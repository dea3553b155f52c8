import { PassThrough } from 'node:stream';
import { generateIdentity, identityToRecipient } from 'age-encryption';
import { describe, expect, it } from 'vitest';
import { registry } from '../components/index.ts';
import { loadCluster } from '../config/load.ts';
import { renderTree, type RenderedTree } from '../core/render.ts';
import { externalSecret } from '../core/conventions.ts';
import { UsageError } from '../errors.ts';
import { KubeError } from '../kube/client.ts';
import { REPO } from '../../test/helpers.ts';
import { declarations, renderProblems, type Declaration } from './declarations.ts';
import { decryptBackup, encryptBackup, parseIdentities, parseRecipients } from './escrow.ts';
import { planEnvImport, resolveTarget } from './match.ts';
import { readSecret, type Input } from './prompt.ts';
import { storeStatus } from './status.ts';
import { redactError } from './store.ts';

const defaultTree = renderTree(await loadCluster(REPO, undefined, registry), registry);

/** Fixed declarations, so matching and status tests do not move when a component gains an input. */
const input = (name: string, keys: string[]): Declaration => ({
  name,
  keys: keys.map((key) => ({ key, description: `the ${key}` })),
  purpose: `for ${name}`,
  howToGet: 'ask',
  components: ['test'],
  consumers: [],
});
const declared: Declaration[] = [
  input('argocd-repo-credentials', ['token']),
  input('designate-credentials', ['OS_AUTH_URL', 'OS_REGION_NAME', 'OS_APPLICATION_CREDENTIAL_ID', 'OS_APPLICATION_CREDENTIAL_SECRET']),
  input('grafana-api-token', ['token']),
  input('kargo-admin', ['passwordHash']),
];

/** The default config with CloudNativePG backups on, so every component that can declare an input does. */
async function fullTree(): Promise<RenderedTree> {
  const resolved = await loadCluster(REPO, undefined, registry);
  const config = structuredClone(resolved.config);
  config.components['cloudnative-pg']!.options = {
    ...config.components['cloudnative-pg']!.options,
    backup: { destinationPath: 's3://pg-backups/mswa', endpointURL: 'https://js2.jetstream-cloud.org:8001' },
  };
  return renderTree({ ...resolved, config }, registry);
}

const usageError = (run: () => unknown): UsageError => {
  try {
    run();
  } catch (error) {
    if (error instanceof UsageError) return error;
    throw error;
  }
  throw new Error('expected a UsageError');
};

describe('declarations', () => {
  it('merges an input two components declare, and names who declares and who reads each one', () => {
    const declared = declarations(defaultTree);
    expect(declared.map((d) => d.name)).toEqual(expect.arrayContaining(['argocd-repo-credentials', 'designate-credentials', 'kargo-admin']));
    expect(declared.map((d) => d.name)).toEqual(declared.map((d) => d.name).sort());
    const designate = declared.find((d) => d.name === 'designate-credentials')!;
    expect(designate.components).toEqual(['designate-webhook', 'external-dns']);
    expect(designate.keys.map((k) => k.key)).toEqual(['OS_AUTH_URL', 'OS_REGION_NAME', 'OS_APPLICATION_CREDENTIAL_ID', 'OS_APPLICATION_CREDENTIAL_SECRET']);
    expect(designate.consumers.map((c) => c.ref)).toEqual(['ExternalSecret/cert-manager/designate-credentials', 'ExternalSecret/external-dns/external-dns-clouds-yaml']);
    expect(declared.find((d) => d.name === 'kargo-admin')!.consumers).toEqual([{ ref: 'ExternalSecret/kargo/kargo-admin', keys: ['passwordHash'] }]);
  });

  it('finds a declaration for every source an ExternalSecret reads, and a reader for every declared key, in the full render', async () => {
    const tree = await fullTree();
    expect(declarations(tree).map((d) => d.name)).toContain('postgres-backup-s3');
    expect(renderProblems(tree)).toEqual([]);
    expect(renderProblems(defaultTree)).toEqual([]);
  });

  it('reports an ExternalSecret reading an undeclared input or key', () => {
    const stray = externalSecret({ name: 'stray', namespace: 'apps', keys: [
      { secretKey: 'a', input: 'smtp-credentials', key: 'password' },
      { secretKey: 'b', input: 'kargo-admin', key: 'password' },
    ] });
    const tree = { ...defaultTree, objects: [...defaultTree.objects, { file: 'x.yaml', owner: 'test', object: stray }] };
    expect(renderProblems(tree).map((p) => [p.kind, p.input, p.key, p.message])).toEqual([
      ['undeclared-source', 'smtp-credentials', 'password', 'ExternalSecret/apps/stray reads secret input "smtp-credentials", which no enabled component declares'],
      ['undeclared-source', 'kargo-admin', 'password', 'ExternalSecret/apps/stray reads key "password" of secret input "kargo-admin", which declares only passwordHash'],
    ]);
  });

  it('reports a declared key no ExternalSecret reads', () => {
    const objects = defaultTree.objects.filter((o) => !(o.object.kind === 'ExternalSecret' && o.object.metadata.name === 'kargo-admin'));
    expect(renderProblems({ ...defaultTree, objects })).toEqual([
      {
        kind: 'unread-input',
        input: 'kargo-admin',
        key: 'passwordHash',
        where: 'kargo',
        message: 'key "passwordHash" of secret input "kargo-admin" is declared by kargo but no ExternalSecret reads it',
      },
    ]);
  });
});

describe('resolveTarget', () => {
  it('accepts a declared name and key', () => {
    expect(resolveTarget(declared, 'designate-credentials', 'OS_AUTH_URL')).toEqual({ name: 'designate-credentials', key: 'OS_AUTH_URL', declared: true });
  });

  it('refuses an unknown name with a did-you-mean and exit code 2', () => {
    const error = usageError(() => resolveTarget(declared, 'designate-credential', 'OS_AUTH_URL'));
    expect(error.exitCode).toBe(2);
    expect(error.message).toBe('no enabled component declares secret input "designate-credential"');
    expect(error.hint).toBe('did you mean "designate-credentials"? (see plinth secrets list; --force writes it anyway)');
  });

  it('lists the declared inputs when nothing is close', () => {
    expect(usageError(() => resolveTarget(declared, 'zzzzzzzzzzzzzzzzzz', 'k')).hint).toBe(
      'declared inputs: argocd-repo-credentials, designate-credentials, grafana-api-token, kargo-admin (see plinth secrets list; --force writes it anyway)',
    );
  });

  it('refuses an unknown key with the closest declared one', () => {
    const error = usageError(() => resolveTarget(declared, 'kargo-admin', 'passwordhash'));
    expect(error.message).toBe('secret input "kargo-admin" declares no key "passwordhash"');
    expect(error.hint).toBe('did you mean "passwordHash"? (--force writes it anyway)');
    expect(usageError(() => resolveTarget(declared, 'designate-credentials', 'OS_AUTH_UR')).hint).toBe('did you mean "OS_AUTH_URL"? (--force writes it anyway)');
    // Too far for edit distance, but the start of exactly one key.
    expect(usageError(() => resolveTarget(declared, 'designate-credentials', 'OS_REGION')).hint).toBe('did you mean "OS_REGION_NAME"? (--force writes it anyway)');
    expect(usageError(() => resolveTarget(declared, 'designate-credentials', 'OS_APPLICATION')).hint).toMatch(/^declared keys: /);
  });

  it('writes an undeclared name or key only when forced, and never an invalid one', () => {
    expect(resolveTarget(declared, 'smtp', 'password', true)).toEqual({ name: 'smtp', key: 'password', declared: false });
    expect(resolveTarget(declared, 'kargo-admin', 'extra', true)).toEqual({ name: 'kargo-admin', key: 'extra', declared: false });
    expect(usageError(() => resolveTarget(declared, 'Bad_Name', 'k', true)).message).toBe('"Bad_Name" is not a valid secret input name');
    expect(usageError(() => resolveTarget(declared, 'kargo-admin', 'a key', true)).message).toBe('"a key" is not a valid Secret data key');
  });
});

describe('planEnvImport (.env mapping)', () => {
  const file = [
    '# migrated from the old bootstrap .env',
    'designate-credentials.OS_AUTH_URL=https://js2.jetstream-cloud.org:5000/v3/',
    'export designate-credentials.OS_APPLICATION_CREDENTIAL_SECRET="s3cr=t value"',
    'kargo-admin.passwordHash=\'$2y$10$abc\'',
    'designate-credential.OS_REGION_NAME=IU',
    'kargo-admin.password=hunter2',
    'GITHUB_TOKEN=ghp_x',
    'grafana-api-token.token=',
  ].join('\n');

  it('maps NAME.KEY to declared inputs and reports unknown, empty and missing ones without values', () => {
    const plan = planEnvImport(file, declared);
    expect(plan.known).toEqual([
      { variable: 'designate-credentials.OS_AUTH_URL', name: 'designate-credentials', key: 'OS_AUTH_URL' },
      { variable: 'designate-credentials.OS_APPLICATION_CREDENTIAL_SECRET', name: 'designate-credentials', key: 'OS_APPLICATION_CREDENTIAL_SECRET' },
      { variable: 'kargo-admin.passwordHash', name: 'kargo-admin', key: 'passwordHash' },
    ]);
    expect(plan.values.get('designate-credentials')!.get('OS_APPLICATION_CREDENTIAL_SECRET')).toBe('s3cr=t value');
    expect(plan.values.get('kargo-admin')!.get('passwordHash')).toBe('$2y$10$abc');
    expect(plan.unknown).toEqual([
      { variable: 'designate-credential.OS_REGION_NAME', message: 'no enabled component declares secret input "designate-credential"', hint: 'did you mean "designate-credentials"?' },
      { variable: 'kargo-admin.password', message: 'secret input "kargo-admin" declares no key "password"', hint: 'did you mean "passwordHash"?' },
      {
        variable: 'GITHUB_TOKEN',
        message: 'GITHUB_TOKEN does not name a secret input',
        hint: 'write it as NAME.KEY (e.g. argocd-repo-credentials.token), or pass --input NAME if the whole file is one input',
      },
    ]);
    expect(plan.empty).toEqual([{ variable: 'grafana-api-token.token', name: 'grafana-api-token', key: 'token' }]);
    expect(plan.missing).toEqual([
      { name: 'argocd-repo-credentials', key: 'token' },
      { name: 'designate-credentials', key: 'OS_REGION_NAME' },
      { name: 'designate-credentials', key: 'OS_APPLICATION_CREDENTIAL_ID' },
      { name: 'grafana-api-token', key: 'token' },
    ]);
    expect(JSON.stringify({ ...plan, values: undefined })).not.toMatch(/s3cr=t|abc|hunter2|ghp_x|js2\.jetstream/);
  });

  it('with --input, reads every variable as a key of that input (an openrc file)', () => {
    const openrc = 'export OS_AUTH_URL=https://x/v3/\nexport OS_REGION_NAME=IU\nexport OS_AUTH_TYPE=v3applicationcredential\n';
    const plan = planEnvImport(openrc, declared, 'designate-credentials');
    expect(plan.known.map((m) => m.key)).toEqual(['OS_AUTH_URL', 'OS_REGION_NAME']);
    expect(plan.unknown.map((u) => [u.variable, u.hint])).toEqual([['OS_AUTH_TYPE', 'did you mean "OS_AUTH_URL"?']]);
    expect(plan.missing).toEqual([
      { name: 'designate-credentials', key: 'OS_APPLICATION_CREDENTIAL_ID' },
      { name: 'designate-credentials', key: 'OS_APPLICATION_CREDENTIAL_SECRET' },
    ]);
    expect(usageError(() => planEnvImport(openrc, declared, 'designate')).message).toBe('no enabled component declares secret input "designate"');
  });
});

describe('storeStatus', () => {
  it('tells missing, incomplete, empty, undeclared keys and unknown inputs apart', () => {
    const bytes = (entries: [string, string][]) => new Map(entries.map(([k, v]) => [k, Buffer.from(v)]));
    const contents = new Map([
      ['argocd-repo-credentials', bytes([['token', 'x']])],
      ['designate-credentials', bytes([['OS_AUTH_URL', 'u'], ['OS_REGION_NAME', '  '], ['OS_PASSWORD', 'old']])],
      ['old-input', bytes([['k', 'v']])],
    ]);
    const status = storeStatus(declared, contents);
    expect(status.inputs.map((i) => [i.name, i.status])).toEqual([
      ['argocd-repo-credentials', 'complete'],
      ['designate-credentials', 'incomplete'],
      ['grafana-api-token', 'missing'],
      ['kargo-admin', 'missing'],
    ]);
    expect(status.inputs[1]!.keys).toEqual([
      { key: 'OS_AUTH_URL', status: 'set' },
      { key: 'OS_REGION_NAME', status: 'empty' },
      { key: 'OS_APPLICATION_CREDENTIAL_ID', status: 'missing' },
      { key: 'OS_APPLICATION_CREDENTIAL_SECRET', status: 'missing' },
    ]);
    expect(status.inputs[1]!.undeclaredKeys).toEqual(['OS_PASSWORD']);
    expect(status.unknown).toEqual([{ name: 'old-input', keys: ['k'] }]);
    expect([status.missing, status.stale]).toEqual([3, 2]);
    expect(JSON.stringify(status)).not.toMatch(/"x"|"u"|old"|"v"/);
  });
});

describe('escrow', () => {
  it('round-trips the store through age, and refuses the wrong identity', async () => {
    const identity = await generateIdentity();
    const recipient = await identityToRecipient(identity);
    const contents = new Map([
      ['kargo-admin', new Map([['passwordHash', Buffer.from('SENTINEL-ESCROW-1')]])],
      ['x', new Map([['a', Buffer.from('ü\nline2')], ['b', Buffer.alloc(0)], ['binary', Buffer.from([0xff, 0x00, 0xfe, 0x80])]])],
    ]);
    const file = await encryptBackup(contents, 'plinth-secrets', [recipient]);
    expect(new TextDecoder().decode(file).startsWith('age-encryption.org/v1\n')).toBe(true);
    for (const form of ['SENTINEL-ESCROW-1', Buffer.from('SENTINEL-ESCROW-1').toString('base64')]) expect(Buffer.from(file).includes(form)).toBe(false);
    expect(await decryptBackup(file, [identity], 'b.age')).toEqual(contents);

    const other = await generateIdentity();
    await expect(decryptBackup(file, [other], 'b.age')).rejects.toThrow('b.age was not encrypted to the given identity');
    await expect(decryptBackup(new TextEncoder().encode('hello'), [identity], 'b.age')).rejects.toThrow('b.age is not a readable age file');
  });

  it('reads recipients and identities as age files, and refuses a secret key as a recipient', async () => {
    const identity = await generateIdentity();
    const recipient = await identityToRecipient(identity);
    expect(parseRecipients([], [{ path: 'team.txt', text: `# ops\n\n${recipient}\n` }])).toEqual([recipient]);
    expect(usageError(() => parseRecipients([], [])).message).toBe('a backup needs at least one recipient');
    const leaked = usageError(() => parseRecipients([identity], []));
    expect(leaked.message).toBe('a secret key was given as a recipient (from the command line)');
    expect(`${leaked.message} ${leaked.hint}`).not.toContain(identity);
    expect(usageError(() => parseRecipients(['ssh-ed25519 AAAA'], [])).message).toBe('"ssh-ed25519 AAAA" (from the command line) is not an age recipient');
    expect(parseIdentities(`# created: 2026-01-01\n# public key: ${recipient}\n${identity}\n`, 'key.txt')).toEqual([identity]);
    expect(usageError(() => parseIdentities('# nothing\n', 'key.txt')).message).toBe('key.txt holds no age secret key');
  });
});

describe('redactError', () => {
  it('takes values, plain and base64, out of an API error message', () => {
    const error = redactError(new KubeError(422, 'patch Secret/plinth-secrets/x: bad "hunter22" (aHVudGVyMjI=)'), ['hunter22']) as KubeError;
    expect(error).toBeInstanceOf(KubeError);
    expect(error.status).toBe(422);
    expect(error.message).toBe('patch Secret/plinth-secrets/x: bad "[redacted]" ([redacted])');
  });
});

describe('readSecret', () => {
  const fakeTerminal = () => {
    const stream = new PassThrough() as PassThrough & Input;
    const modes: boolean[] = [];
    stream.isTTY = true;
    stream.setRawMode = (mode: boolean) => modes.push(mode);
    return { stream, modes };
  };

  it('reads stdin and strips one trailing newline', async () => {
    const stdin = new PassThrough();
    const value = readSecret(stdin, { write: () => true }, 'x');
    stdin.end('line1\nline2\n\n');
    expect(await value).toBe('line1\nline2\n');
  });

  it('prompts on a terminal without echoing, handling backspace', async () => {
    const { stream, modes } = fakeTerminal();
    let shown = '';
    const value = readSecret(stream, { write: (t: string) => (shown += t) }, 'kargo-admin passwordHash');
    stream.write('hunx\u007fter2\r');
    expect(await value).toBe('hunter2');
    expect(shown).toBe('kargo-admin passwordHash: \n');
    expect(modes).toEqual([true, false]);
  });

  it('cancels on Ctrl-C', async () => {
    const { stream } = fakeTerminal();
    const value = readSecret(stream, { write: () => true }, 'x');
    stream.write('abc\u0003');
    await expect(value).rejects.toThrow('cancelled; nothing was written');
  });
});

