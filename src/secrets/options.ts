import { z } from 'zod';

// The config options that declare secret inputs beside the components': `apps[].secrets` and the top-level
// `secretInputs`. Kept apart from config/schema.ts, which imports them, so this file must not import from it.

const label = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, { error: 'must be a DNS label: lowercase letters, digits and "-", at most 63, starting and ending alphanumeric' });

/** A Secret data key, as the API server accepts it (k8s.io/apimachinery pkg/util/validation/validation.go, IsConfigMapKey). */
const dataKey = z.string().regex(/^[-._a-zA-Z0-9]+$/, { error: 'must be a Secret data key: letters, digits, "-", "_" and "."' });

/** A key: what it is, and optionally how to get it when that differs from the input's howToGet. */
const keySpec = z.union([z.string().min(1), z.strictObject({ description: z.string().min(1), howToGet: z.string().min(1).optional() })]);

const inputFields = {
  name: label,
  /** What the input is for, shown by `plinth secrets list`. */
  purpose: z.string().min(1),
  /** Where a person finds the values. */
  howToGet: z.string().min(1).default('ask the team that owns the service'),
  keys: z.record(dataKey, keySpec).refine((keys) => Object.keys(keys).length > 0, { error: 'declares no key: name at least one, e.g. { token: "the API token" }' }),
};

const uniqueNames = (inputs: { name: string }[], ctx: z.RefinementCtx) => {
  inputs.forEach((input, i) => {
    if (inputs.findIndex((other) => other.name === input.name) !== i)
      ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `"${input.name}" is declared twice`, params: { hint: 'give each input its own name, or merge their keys' } });
  });
};

/** An input of an app: delivered to its containers as variables (each key a variable of the same name) or as files. */
export const appSecretInput = z.strictObject({
  ...inputFields,
  /** Stage-scoped: one value per listed stage (staging and production hold different keys), and only those stages get it. */
  stages: z.array(label).min(1).optional(),
  delivery: z.union([z.literal('env'), z.strictObject({ file: z.string().regex(/^\/./, { error: 'must be an absolute path, such as "/etc/api/jwt"' }) })]).default('env'),
});

/** An input for anything else the user adds (an SSO proxy, CI runners, log shipping), read by their extraObjects' ExternalSecrets. */
export const secretInput = z.strictObject(inputFields);

export const appSecretsShape = {
  /** Secret inputs of the app (src/apps/secrets.ts): kept in the plinth-secrets store, read by this app only. */
  secrets: z.array(appSecretInput).superRefine(uniqueNames).default([]),
};

export const secretInputsShape = {
  /** Secret inputs that `extraObjects` ExternalSecrets read from the plinth-secrets store under these names. */
  secretInputs: z.array(secretInput).superRefine(uniqueNames).default([]),
};

export type AppSecretInput = z.output<typeof appSecretInput>;
export type DeclaredSecretInput = z.output<typeof secretInput>;
