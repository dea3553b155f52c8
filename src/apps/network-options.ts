import { z } from 'zod';
import { formatPath } from '../config/paths.ts';
import type { ConfigIssue } from '../errors.ts';
import { contains, formatCidr, parseCidr } from './cidr.ts';

// The app options of the network part of the golden path (egress, routes, migrate). Kept apart from
// config/schema.ts, which imports them, so this file must not import from it.

const cidr = z.string().superRefine((value, ctx) => {
  const parsed = parseCidr(value);
  if (!parsed)
    ctx.addIssue({ code: 'custom', message: 'is not a CIDR block', params: { hint: 'write an address and a prefix length, e.g. "203.0.113.0/24", "198.51.100.7/32" or "2001:db8::/32"' } });
  // The API server refuses a block with host bits set (k8s.io/kubernetes pkg/apis/networking/validation/validation.go
  // ValidateIPBlock, strict CIDR parsing since 1.33): say which block was meant.
  else if (!parsed.canonical)
    ctx.addIssue({ code: 'custom', message: `has host bits set for a /${parsed.prefix}`, params: { hint: `write the block's network address: "${formatCidr(parsed)}"` } });
});

const port = z.int().min(1).max(65535);

export const egressRule = z.strictObject({
  /** `internet`: every public address (IPv4 and IPv6), none of the private ranges; or a CIDR block. */
  to: z.string().superRefine((value, ctx) => {
    if (value === 'internet') return;
    const parsed = parseCidr(value);
    if (!parsed || !parsed.canonical)
      ctx.addIssue({
        code: 'custom',
        message: parsed ? `has host bits set for a /${parsed.prefix}` : 'is neither "internet" nor a CIDR block',
        params: { hint: parsed ? `write the block's network address: "${formatCidr(parsed)}"` : 'use "internet" or a block such as "203.0.113.0/24" ("198.51.100.7/32" for one address)' },
      });
  }),
  // A bare number is a TCP port.
  ports: z
    .array(
      z
        .union([port, z.strictObject({ port, protocol: z.enum(['TCP', 'UDP']).default('TCP') })], {
          error: 'must be a port number from 1 to 65535, or { port, protocol: "TCP" or "UDP" }',
        })
        .transform((p) => (typeof p === 'number' ? { port: p, protocol: 'TCP' as const } : p)),
    )
    .refine((ports) => ports.length > 0, { error: 'is empty: an egress rule opens named ports only', params: { hint: 'list the ports the app connects to, e.g. [443] or [{ port: 53, protocol: "UDP" }]' } }),
  reason: z.string().refine((reason) => reason.trim() !== '', {
    error: 'gives no reason: every way out of the cluster must say why',
    params: { hint: 'write what the app reaches there, e.g. "S3 presigned URLs" or "SMTP relay"' },
  }),
  /** Blocks inside `to` that stay closed (added to the private ranges for `internet`). */
  except: z.array(cidr).optional(),
});

const INVALID_PATH_SEQUENCES = ['//', '/./', '/../', '%2f', '%2F'];
const INVALID_PATH_SUFFIXES = ['/..', '/.'];

/**
 * A path as the API server takes it for a Prefix Ingress path (k8s.io/kubernetes pkg/apis/networking/validation/
 * validation.go validateIngressHTTPIngressPath: absolute, none of invalidPathSequences or invalidPathSuffixes).
 */
export const routePath = z.string().superRefine((path, ctx) => {
  const problem = !path.startsWith('/')
    ? 'does not start with "/"'
    : /\s/.test(path)
      ? 'holds whitespace'
      : INVALID_PATH_SEQUENCES.find((s) => path.includes(s)) ?? INVALID_PATH_SUFFIXES.find((s) => path.endsWith(s));
  if (problem)
    ctx.addIssue({
      code: 'custom',
      message: problem.startsWith('/') || problem.startsWith('%') ? `holds "${problem}", which Kubernetes refuses in an Ingress path` : `${problem}: a route is a URL path prefix`,
      params: { hint: `write it as a path prefix such as "/api/v1"${path.startsWith('/') ? '' : ` ("/${path.replace(/^\/*/, '')}")`}` },
    });
});

/**
 * A Traefik Middleware: `name` (in the app's namespace), `namespace/name`, or `name@provider` for one Traefik
 * reads from elsewhere (e.g. `auth@file`). Names are Kubernetes object names (DNS subdomains).
 */
export const MIDDLEWARE_REFERENCE = /^(([a-z0-9]([-a-z0-9]*[a-z0-9])?)\/)?[a-z0-9]([-a-z0-9.]*[a-z0-9])?$|^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?@[a-z0-9]+$/;
export const middlewareReference = z.string().regex(MIDDLEWARE_REFERENCE, {
  error: 'must name a Traefik Middleware: "name" (in the app\'s namespace), "namespace/name", or "name@provider"',
});

export const route = z.strictObject({
  path: routePath,
  /** Traefik removes the path before the app sees the request (a StripPrefix Middleware). */
  stripPrefix: z.boolean().default(false),
  middlewares: z.array(middlewareReference).default([]),
});

export const migration = z.strictObject({
  command: z.array(z.string().min(1)).refine((command) => command.length > 0, {
    error: 'is empty: a migration needs a command to run',
    params: { hint: 'give the command as a list, e.g. ["npm", "run", "db:migrate"]' },
  }),
  workingDir: z.string().regex(/^\/\S*$/, { error: 'must be an absolute path such as "/app"' }).optional(),
  /** How long the migration may run before the Job is failed (and with it the sync). */
  timeoutSeconds: z.int().min(1).max(2 ** 31 - 1).default(600),
});

export const networkShape = {
  egress: z.array(egressRule).default([]),
  routes: z.array(route).optional(),
  migrate: migration.optional(),
};

type NetworkApp = {
  name: string;
  host?: string | undefined;
  egress: z.output<typeof egressRule>[];
  routes?: z.output<typeof route>[] | undefined;
  migrate?: z.output<typeof migration> | undefined;
};

/** Checks across the network options of each app, each with its config path and a fix. */
export function networkIssues(apps: readonly NetworkApp[]): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  apps.forEach((app, i) => {
    const at = (...path: (string | number)[]) => formatPath(['apps', i, ...path]);
    if (app.routes && !app.host)
      issues.push({ path: at('routes'), message: 'routes are paths on the app\'s host, and the app has no host', hint: `add ${at('host')} (a name under the cluster domain), or remove the routes` });
    if (app.routes?.length === 0)
      issues.push({ path: at('routes'), message: 'is empty, so the host would route nothing', hint: `list the paths to serve, e.g. [{ path: "/" }], or remove ${at('routes')} to serve the whole host` });
    const paths = new Map<string, number>();
    app.routes?.forEach((route, j) => {
      const first = paths.get(route.path);
      if (first !== undefined)
        issues.push({ path: at('routes', j, 'path'), message: `"${route.path}" is routed twice (first at ${at('routes', first, 'path')})`, hint: 'list each path once, with all its middlewares' });
      else paths.set(route.path, j);
      if (route.stripPrefix && route.path === '/')
        issues.push({ path: at('routes', j, 'stripPrefix'), message: 'strips "/", which leaves every request as it is', hint: 'remove stripPrefix, or route a longer path such as "/api"' });
    });
    app.egress.forEach((rule, j) => {
      const to = rule.to === 'internet' ? undefined : parseCidr(rule.to);
      rule.except?.forEach((text, k) => {
        const block = parseCidr(text);
        if (!block || !block.canonical) return;
        // The API server takes only blocks strictly inside the rule's (ValidateIPBlock).
        const inside = to ? contains(to, block) && block.prefix > to.prefix : block.prefix > 0;
        if (!inside)
          issues.push({
            path: at('egress', j, 'except', k),
            message: `"${text}" is not inside ${to ? `"${rule.to}"` : 'the internet'}, so it closes nothing`,
            hint: to ? `list only blocks inside "${rule.to}", or remove it` : 'list a block with a prefix length above 0, or remove it',
          });
      });
    });
  });
  return issues;
}
