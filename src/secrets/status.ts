import type { Declaration } from './declarations.ts';
import type { StoreContents } from './store.ts';

export interface KeyStatus {
  key: string;
  status: 'set' | 'missing' | 'empty';
}

export interface InputStatus {
  name: string;
  /** missing: no Secret; incomplete: a declared key absent or empty; complete: every declared key has a value. */
  status: 'complete' | 'incomplete' | 'missing';
  keys: KeyStatus[];
  /** Keys in the Secret that no declaration names: left over from an older config, or typos. */
  undeclaredKeys: string[];
}

export interface StoreStatus {
  inputs: InputStatus[];
  /** Secrets in the store that no enabled component declares. */
  unknown: { name: string; keys: string[] }[];
  /** Inputs that are missing or incomplete. */
  missing: number;
  /** Undeclared keys plus unknown Secrets. */
  stale: number;
}

/** Compares the declarations with what the store holds; reads values only to tell empty from set. */
export function storeStatus(declared: Declaration[], contents: StoreContents): StoreStatus {
  const inputs = declared.map((declaration): InputStatus => {
    const stored = contents.get(declaration.name);
    const keys = declaration.keys.map(({ key }): KeyStatus => {
      const value = stored?.get(key);
      return { key, status: value === undefined ? 'missing' : value.toString('utf8').trim() === '' ? 'empty' : 'set' };
    });
    const names = new Set(declaration.keys.map((k) => k.key));
    return {
      name: declaration.name,
      status: !stored ? 'missing' : keys.every((k) => k.status === 'set') ? 'complete' : 'incomplete',
      keys,
      undeclaredKeys: stored ? [...stored.keys()].filter((k) => !names.has(k)).sort() : [],
    };
  });
  const declaredNames = new Set(declared.map((d) => d.name));
  const unknown = [...contents]
    .filter(([name]) => !declaredNames.has(name))
    .map(([name, keys]) => ({ name, keys: [...keys.keys()].sort() }))
    .sort((a, b) => (a.name < b.name ? -1 : 1));
  return {
    inputs,
    unknown,
    missing: inputs.filter((i) => i.status !== 'complete').length,
    stale: inputs.reduce((n, i) => n + i.undeclaredKeys.length, 0) + unknown.length,
  };
}
