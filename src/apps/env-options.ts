import { z } from 'zod';

// The app options of the environment contract (envNames, connectionUrls, topics.consumerGroup). Kept apart from
// config/schema.ts, which imports them, so this file must not import from it.

/** What a container accepts as a variable name and the kubelet can expand as `$(NAME)`. */
export const envVarName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'must be an environment variable name (letters, digits and "_", not starting with a digit)' });

/**
 * A Kafka consumer group id. Kafka takes any string; this keeps to what KEDA's trigger metadata, the env var and
 * a shell can carry unquoted, at the length Kafka allows for a topic name.
 */
export const consumerGroupId = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,249}$/, { error: 'must be 1 to 249 letters, digits, ".", "_" or "-"' });

export const envShape = {
  /** Renames of generated variables: `{ KAFKA_BROKERS: 'BROKER_URL' }` (src/apps/env.ts lists what is generated). */
  envNames: z.record(envVarName, envVarName).default({}),
  /**
   * Complete connection URLs with the credential, under the variable names given: built in the cluster by an
   * ExternalSecret template from the generated Secrets, never written to git.
   */
  connectionUrls: z.strictObject({ database: envVarName.optional(), cache: envVarName.optional() }).optional(),
};
