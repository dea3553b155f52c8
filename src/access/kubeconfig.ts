import { stringify } from 'yaml';

export interface MemberKubeconfig {
  cluster: string;
  server: string;
  /** PEM bundle of the cluster CA; absent when the cluster's certificate is publicly trusted. */
  certificateAuthority?: string;
  user: string;
  namespace: string;
  token: string;
}

/** A kubeconfig with one context: the member's token, confined to their namespace by default. */
export function memberKubeconfig(input: MemberKubeconfig): string {
  const context = `${input.user}@${input.cluster}`;
  return stringify(
    {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name: input.cluster,
          cluster: {
            server: input.server,
            ...(input.certificateAuthority && { 'certificate-authority-data': Buffer.from(input.certificateAuthority).toString('base64') }),
          },
        },
      ],
      users: [{ name: input.user, user: { token: input.token } }],
      contexts: [{ name: context, context: { cluster: input.cluster, user: input.user, namespace: input.namespace } }],
      'current-context': context,
    },
    { lineWidth: 0 },
  );
}

/** `devpod provider add` for a member kubeconfig: the member may not create namespaces, so DevPod must not try. */
export function devpodProviderCommand(kubeconfigPath: string, context: string, namespace: string): string {
  const option = (name: string, value: string) => `--option ${name}=${/^[\w./@:-]+$/.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`}`;
  return [
    'devpod provider add kubernetes',
    option('KUBERNETES_CONFIG', kubeconfigPath),
    option('KUBERNETES_CONTEXT', context),
    option('KUBERNETES_NAMESPACE', namespace),
    option('CREATE_NAMESPACE', 'false'),
  ].join(' ');
}

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600 };

/** A Go-style duration of whole seconds ("720h", "1h30m") in seconds; undefined when it is not one. */
export function durationSeconds(text: string): number | undefined {
  if (!/^([0-9]+[hms])+$/.test(text)) return undefined;
  let seconds = 0;
  for (const [, amount, unit] of text.matchAll(/([0-9]+)([hms])/g)) seconds += Number(amount) * UNITS[unit!]!;
  return seconds;
}
