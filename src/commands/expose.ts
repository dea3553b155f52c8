import { exposeIngress } from '../apps/expose.ts';
import { middlewareAnnotationValue } from '../apps/network.ts';
import { middlewareReference, routePath } from '../apps/network-options.ts';
import { dnsLabel, hostname } from '../config/schema.ts';
import { appHosts, componentHosts } from '../config/hosts.ts';
import { loadCluster } from '../config/load.ts';
import { toYaml } from '../core/yaml.ts';
import { defaultClusterIssuer } from '../core/conventions.ts';
import type { K8sObject } from '../core/types.ts';
import { UsageError } from '../errors.ts';
import type { Context } from './context.ts';

export interface ExposeOptions {
  /** With environments: whose domain and ingress the Ingress follows (required then). */
  env?: string;
  service: string;
  host: string;
  namespace?: string;
  port?: string;
  /** Path prefixes to route to the Service (default `/`). */
  path?: string[];
  /** Traefik Middlewares applied to the routes, in order: `name` (in the Service's namespace), `namespace/name` or `name@provider`. */
  middleware?: string[];
  config?: string;
}

export interface ExposeResult {
  ingress: K8sObject;
  yaml: string;
  /** Where to put it so Argo CD syncs it: a component's extraObjects in the config. */
  hint: string;
}

/**
 * An Ingress exactly like the seed's example, for a Service that is not a Plinth app. The config gives the
 * domain the host must sit in (external-dns publishes nothing else) and the issuer.
 */
export async function expose(options: ExposeOptions, ctx: Context): Promise<ExposeResult> {
  if (!dnsLabel.safeParse(options.service).success)
    throw new UsageError(`"${options.service}" is not a Service name`, 'give the name of the Service to expose, e.g. "grafana"');
  if (!hostname.safeParse(options.host).success)
    throw new UsageError(`--host "${options.host}" is not a DNS hostname`, 'give a name such as "status.example.org", without scheme or path');
  const namespace = options.namespace ?? 'default';
  if (!dnsLabel.safeParse(namespace).success) throw new UsageError(`--namespace "${namespace}" is not a namespace name`);
  const port = Number(options.port ?? 80);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new UsageError(`--port "${options.port}" is not a port number`, 'give the Service port, 1 to 65535');
  const paths = options.path ?? [];
  for (const path of paths) {
    const problem = routePath.safeParse(path);
    if (!problem.success)
      throw new UsageError(`--path "${path}" ${problem.error.issues[0]!.message}`, 'give a URL path prefix such as "/api/v1"');
  }
  const middlewares = options.middleware ?? [];
  for (const middleware of middlewares)
    if (!middlewareReference.safeParse(middleware).success)
      throw new UsageError(
        `--middleware "${middleware}" is not a Traefik Middleware reference`,
        'give "name" (a Middleware in the Service\'s namespace), "namespace/name", or "name@provider" such as "auth@file"',
      );
  const duplicate = paths.find((path, i) => paths.indexOf(path) !== i);
  if (duplicate) throw new UsageError(`--path "${duplicate}" is given twice`, 'give each path once');
  const { config } = await loadCluster(ctx.cwd, options.config, ctx.registry, options.env);
  if (options.host !== config.domain && !options.host.endsWith(`.${config.domain}`))
    throw new UsageError(
      `--host "${options.host}" is outside the cluster domain "${config.domain}", so external-dns would not publish it`,
      `use a name under the domain, e.g. "${options.service}.${config.domain}"`,
    );
  const taken = [...componentHosts(config, ctx.registry), ...appHosts(config)].find((claim) => claim.host === options.host);
  if (taken)
    throw new UsageError(
      `--host "${options.host}" is already served by ${taken.owner} (${taken.path}), so two Ingresses would claim it and one would get no traffic`,
      `pick another host under the domain, e.g. "${options.service}.${config.domain}"${taken.option ? `, or move the component's with ${taken.option} in the config` : ''}`,
    );
  const ingress = exposeIngress({
    service: options.service,
    host: options.host,
    namespace,
    port,
    clusterIssuer: defaultClusterIssuer(config),
    ...(paths.length > 0 && { paths }),
    ...(middlewares.length > 0 && { middlewares: middlewares.map((m) => middlewareAnnotationValue(m, namespace)) }),
  });
  return {
    ingress,
    yaml: toYaml(ingress),
    hint: 'add it to a component\'s extraObjects in the config (e.g. components.traefik.extraObjects) so Argo CD syncs it, or kubectl apply it',
  };
}
