/** Defaults the CLI shows in its help, kept apart so printing help loads no command. */

/** Helm runs inside the cluster, so bootstrapping needs neither helm nor chart downloads on the laptop. */
export const DEFAULT_HELM_IMAGE = 'docker.io/alpine/helm:3.18.4';
