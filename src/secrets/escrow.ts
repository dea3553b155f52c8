import { Decrypter, Encrypter } from 'age-encryption';
import { PlinthError, UsageError } from '../errors.ts';
import type { StoreContents } from './store.ts';

/** The plaintext inside the age file: versioned, so a later Plinth can still read an old escrow. */
const FORMAT = 'plinth-secrets-backup/v1';

interface Payload {
  format: typeof FORMAT;
  namespace: string;
  /** The environment whose cluster the store was read from, when the config declares environments. */
  environment?: string;
  /** Input name -> key -> value in base64, as in a Secret's `data`: binary values survive unchanged. */
  inputs: Record<string, Record<string, string>>;
}

/** Lines of an age recipients or identity file: `#` comments and blank lines skipped, as age does. */
const entries = (text: string) =>
  text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));

/** Recipients given on the command line and in recipients files, checked before anything is read. */
export function parseRecipients(recipients: string[], files: { path: string; text: string }[]): string[] {
  const all = [...recipients.map((r) => ({ value: r.trim(), from: 'the command line' })), ...files.flatMap((f) => entries(f.text).map((value) => ({ value, from: f.path })))];
  if (all.length === 0) throw new UsageError('a backup needs at least one recipient', 'pass --recipient age1... or --recipients-file FILE (the public key of whoever keeps the escrow)');
  for (const { value, from } of all) {
    if (value.startsWith('AGE-SECRET-KEY-'))
      throw new UsageError(`a secret key was given as a recipient (from ${from})`, 'pass the public key (age1...), which age-keygen -y prints; keep the secret key to yourself');
    if (!value.startsWith('age1')) throw new UsageError(`"${value}" (from ${from}) is not an age recipient`, 'an age public key starts with age1');
  }
  return all.map((r) => r.value);
}

/** Secret keys from an identity file (or the PLINTH_AGE_IDENTITY value); never echoed in errors. */
export function parseIdentities(text: string, from: string): string[] {
  const keys = entries(text).filter((line) => line.toUpperCase().startsWith('AGE-SECRET-KEY-'));
  if (keys.length === 0) throw new UsageError(`${from} holds no age secret key`, 'pass the file age-keygen wrote (a line AGE-SECRET-KEY-1...), or set PLINTH_AGE_IDENTITY to that key');
  return keys;
}

export async function encryptBackup(contents: StoreContents, namespace: string, recipients: string[], environment?: string): Promise<Uint8Array> {
  const encrypter = new Encrypter();
  for (const recipient of recipients) {
    try {
      encrypter.addRecipient(recipient);
    } catch {
      throw new UsageError(`"${recipient}" is not a valid age recipient`, 'check the public key: age1 followed by 58 characters');
    }
  }
  const payload: Payload = {
    format: FORMAT,
    namespace,
    ...(environment !== undefined && { environment }),
    inputs: Object.fromEntries(
      [...contents].sort(([a], [b]) => (a < b ? -1 : 1)).map(([name, keys]) => [name, Object.fromEntries([...keys].map(([k, v]) => [k, v.toString('base64')]))]),
    ),
  };
  return encrypter.encrypt(JSON.stringify(payload));
}

export async function decryptBackup(file: Uint8Array, identities: string[], from: string): Promise<StoreContents> {
  return (await decryptEscrow(file, identities, from)).contents;
}

/** The inputs of an escrow file and the environment it was made for (none for a one-cluster config's backup). */
export async function decryptEscrow(file: Uint8Array, identities: string[], from: string): Promise<{ contents: StoreContents; environment?: string }> {
  const decrypter = new Decrypter();
  for (const identity of identities) {
    try {
      decrypter.addIdentity(identity);
    } catch {
      throw new UsageError('the age identity is not a valid secret key', 'pass the file age-keygen wrote, or set PLINTH_AGE_IDENTITY to its AGE-SECRET-KEY-1... line');
    }
  }
  let text: string;
  try {
    text = await decrypter.decrypt(file, 'text');
  } catch (error) {
    const message = (error as Error).message ?? '';
    throw new PlinthError(
      /no identity matched/i.test(message) ? `${from} was not encrypted to the given identity` : `${from} is not a readable age file`,
      'pass the secret key whose public key was the backup recipient',
    );
  }
  let payload: Payload;
  try {
    payload = JSON.parse(text) as Payload;
  } catch {
    throw new PlinthError(`${from} decrypts, but is not a Plinth secrets backup`, 'restore a file written by plinth secrets backup');
  }
  if (payload.format !== FORMAT || typeof payload.inputs !== 'object' || payload.inputs === null)
    throw new PlinthError(`${from} is not a Plinth secrets backup (format ${String(payload.format)})`, 'restore a file written by plinth secrets backup');
  const contents: StoreContents = new Map(Object.entries(payload.inputs).map(([name, keys]) => [name, new Map(Object.entries(keys).map(([k, v]) => [k, Buffer.from(v, 'base64')]))]));
  return { contents, ...(typeof payload.environment === 'string' && { environment: payload.environment }) };
}
