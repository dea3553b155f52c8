import { parse } from 'dotenv';
import { closest } from '../config/paths.ts';
import { UsageError } from '../errors.ts';
import type { Declaration } from './declarations.ts';

/** Data keys the API server accepts in a Secret. */
const DATA_KEY = /^[-._a-zA-Z0-9]+$/;

const didYouMean = (input: string, candidates: string[], noun: string): string => {
  // A truncated name (OS_REGION for OS_REGION_NAME) is too far for edit distance, but plainly meant.
  const prefixed = candidates.filter((c) => c.toLowerCase().startsWith(input.toLowerCase()));
  const match = closest(input, candidates) ?? (input.length >= 3 && prefixed.length === 1 ? prefixed[0] : undefined);
  return match ? `did you mean "${match}"?` : `declared ${noun}s: ${[...candidates].sort().join(', ') || '(none)'}`;
};

export interface Target {
  name: string;
  key: string;
  /** False when the name or key is not declared (only with force). */
  declared: boolean;
}

/**
 * Checks NAME and KEY against the declarations. An undeclared one is a usage error with a did-you-mean
 * hint, unless forced (for an input a new component will declare, say).
 */
export function resolveTarget(declared: Declaration[], name: string, key: string, force = false): Target {
  const input = declared.find((d) => d.name === name);
  if (!input) {
    if (force && isValidName(name) && DATA_KEY.test(key)) return { name, key, declared: false };
    if (!isValidName(name)) throw new UsageError(`"${name}" is not a valid secret input name`, 'use a lowercase DNS label, as the declarations do');
    throw new UsageError(`no enabled component declares secret input "${name}"`, `${didYouMean(name, declared.map((d) => d.name), 'input')} (see plinth secrets list; --force writes it anyway)`);
  }
  if (!input.keys.some((k) => k.key === key)) {
    if (force && DATA_KEY.test(key)) return { name, key, declared: false };
    if (!DATA_KEY.test(key)) throw new UsageError(`"${key}" is not a valid Secret data key`, 'use letters, digits, "-", "_" and "."');
    throw new UsageError(`secret input "${name}" declares no key "${key}"`, `${didYouMean(key, input.keys.map((k) => k.key), 'key')} (--force writes it anyway)`);
  }
  return { name, key, declared: true };
}

const isValidName = (name: string) => /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(name);

/** One variable of an imported file that maps to a declared input and key. */
export interface Mapped {
  variable: string;
  name: string;
  key: string;
}

export interface Unknown {
  variable: string;
  message: string;
  hint: string;
}

export interface EnvPlan {
  /** Variables that map to a declared input and key; their values stay in `values`, never in reports. */
  known: Mapped[];
  unknown: Unknown[];
  /** Declared keys the file does not provide (nor leaves empty). */
  missing: { name: string; key: string }[];
  /** Declared keys the file gives an empty value: not written. */
  empty: Mapped[];
  /** Values by input name and key; kept apart so a report can be printed without them. */
  values: Map<string, Map<string, string>>;
}

/**
 * Maps the variables of a .env file to secret inputs. A variable is `NAME.KEY`: a declared input's name
 * (a DNS label, so it has no dot), a dot, and one of its keys exactly as declared, e.g.
 * `designate-credentials.OS_APPLICATION_CREDENTIAL_SECRET=...`. With `input`, every variable is a key of
 * that one input, so an existing file such as an OpenStack openrc imports unchanged.
 */
export function planEnvImport(text: string, declared: Declaration[], input?: string): EnvPlan {
  if (input !== undefined && !declared.some((d) => d.name === input)) {
    throw new UsageError(`no enabled component declares secret input "${input}"`, didYouMean(input, declared.map((d) => d.name), 'input'));
  }
  const variables = parse(text);
  const plan: EnvPlan = { known: [], unknown: [], missing: [], empty: [], values: new Map() };
  const byName = new Map(declared.map((d) => [d.name, d]));
  for (const [variable, value] of Object.entries(variables)) {
    let name: string;
    let key: string;
    if (input !== undefined) {
      name = input;
      key = variable;
    } else {
      const dot = variable.indexOf('.');
      if (dot <= 0) {
        plan.unknown.push({
          variable,
          message: `${variable} does not name a secret input`,
          hint: `write it as NAME.KEY (e.g. ${declared[0] ? `${declared[0].name}.${declared[0].keys[0]?.key}` : 'argocd-repo-credentials.token'}), or pass --input NAME if the whole file is one input`,
        });
        continue;
      }
      name = variable.slice(0, dot);
      key = variable.slice(dot + 1);
    }
    const declaration = byName.get(name);
    if (!declaration) {
      plan.unknown.push({ variable, message: `no enabled component declares secret input "${name}"`, hint: didYouMean(name, [...byName.keys()], 'input') });
      continue;
    }
    if (!declaration.keys.some((k) => k.key === key)) {
      plan.unknown.push({
        variable,
        message: `secret input "${name}" declares no key "${key}"`,
        hint: didYouMean(key, declaration.keys.map((k) => k.key), 'key'),
      });
      continue;
    }
    const mapped = { variable, name, key };
    if (value === '') {
      plan.empty.push(mapped);
      continue;
    }
    plan.known.push(mapped);
    const keys = plan.values.get(name) ?? new Map<string, string>();
    plan.values.set(name, keys);
    keys.set(key, value);
  }
  for (const declaration of input === undefined ? declared : declared.filter((d) => d.name === input)) {
    for (const { key } of declaration.keys) {
      if (!plan.values.get(declaration.name)?.has(key)) plan.missing.push({ name: declaration.name, key });
    }
  }
  return plan;
}
