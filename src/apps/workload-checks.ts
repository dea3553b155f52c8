import type { ConfigIssue } from '../errors.ts';
import type { ClusterConfig } from '../config/schema.ts';
import { formatPath } from '../config/paths.ts';
import { declaredProbes, PROBE_KINDS, probePort } from './probes.ts';

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * What the workload options allow only together: a worker or cronjob serves nothing, a cronjob needs its
 * schedule, probes name ports the app has, names stay unique. `input` is the config as written, to tell a
 * `port` the user set from its default.
 */
export function workloadIssues(config: ClusterConfig, input: unknown): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const push = (path: (string | number)[], message: string, hint: string) => issues.push({ path: formatPath(path), message, hint });
  const rawApps = isRecord(input) && Array.isArray(input.apps) ? input.apps : [];
  const serving = new Set(config.apps.filter((a) => a.kind === 'service').map((a) => a.name));

  config.apps.forEach((app, i) => {
    const at = (...path: (string | number)[]) => ['apps', i, ...path];
    const raw = isRecord(rawApps[i]) ? rawApps[i] : {};
    if (app.kind !== 'service') {
      const noun = `a ${app.kind}`;
      const why = `${noun} serves no traffic: it has no port, Service or Ingress`;
      if (app.host) push(at('host'), `${why}, so it cannot have a host`, `remove host, or make it kind: "service"`);
      if (app.routes && app.routes.length > 0) push(at('routes'), `${why}, so it cannot have routes`, 'remove routes, or make it kind: "service"');
      if (raw.port !== undefined) push(at('port'), `${why}, so port means nothing`, 'remove port, or make it kind: "service"');
      if (app.ports.length > 0) push(at('ports'), `${why}, so it cannot have ports`, 'remove ports, or make it kind: "service"');
    }
    if (app.kind === 'cronjob') {
      if (!app.cron) push(at('cron'), 'is required for a cronjob', 'add cron: { schedule: "0 3 * * *" } (five fields: minute hour day-of-month month day-of-week)');
      if (app.scale) push(at('scale'), 'a cronjob is not scaled: each run starts one Job', 'remove scale, or make it kind: "worker"');
      if (raw.replicas !== undefined) push(at('replicas'), 'a cronjob runs one Job per scheduled time, so replicas means nothing', 'remove replicas');
    } else if (app.cron) push(at('cron'), `only a cronjob has a schedule; this app is ${app.kind === 'service' ? 'a service' : 'a worker'}`, 'add kind: "cronjob", or remove cron');

    const portNames = new Map<string, number>(app.kind === 'service' ? [['http', app.port]] : []);
    app.ports.forEach((p, j) => {
      if (portNames.has(p.name))
        push(at('ports', j, 'name'), `port name "${p.name}" is ${p.name === 'http' ? 'the main port\'s ("port")' : 'used twice'}`, 'give each port its own name');
      else if ([...portNames.values()].includes(p.port)) push(at('ports', j, 'port'), `port ${p.port} is declared twice`, 'give each port its own number');
      portNames.set(p.name, p.port);
    });
    const probes = declaredProbes(app);
    for (const kind of PROBE_KINDS) {
      const probe = probes[kind];
      const port = probe && probePort(probe);
      if (typeof port !== 'string' || portNames.has(port)) continue;
      const path = typeof probe === 'string' ? at('probes', kind) : at('probes', kind, typeof probe === 'object' && 'tcp' in probe ? 'tcp' : 'port');
      push(
        path,
        app.kind === 'service' ? `names port "${port}", which the app does not declare` : `probes port "${port}", but ${app.kind === 'worker' ? 'a worker' : 'a cronjob'} declares no ports`,
        app.kind === 'service'
          ? `use "http" or one of ports[].name${app.ports.length ? ` (${app.ports.map((p) => p.name).join(', ')})` : ''}, or a port number`
          : 'give the container port by number, e.g. { tcp: 9000 }, or probe with { exec: [...] }',
      );
    }

    if (app.security.runAsUser === 0 && app.security.runAsRoot === undefined)
      push(at('security', 'runAsUser'), 'is 0 (root) while the app must run as non-root', 'use a non-zero UID, or add security.runAsRoot: "<why it must run as root>"');

    const extended = new Set([...Object.keys(app.resources.requests), ...Object.keys(app.resources.limits)].filter((r) => r.includes('/')));
    for (const resource of extended) {
      const requested = (app.resources.requests as Record<string, string>)[resource];
      const limit = (app.resources.limits as Record<string, string>)[resource];
      if (app.gpu?.resource === resource)
        push(at('resources', limit !== undefined ? 'limits' : 'requests', resource), `is set by gpu.count too`, `remove it from resources and keep gpu: { count: ${app.gpu.count} }`);
      else if (requested !== undefined && limit !== undefined && requested !== limit)
        push(at('resources', 'requests', resource), `is ${requested}, but its limit is ${limit}: Kubernetes does not overcommit extended resources`, `set the request equal to the limit, or give only the limit`);
    }

    const volumeNames = new Map<string, number>([['tmp', -1]]);
    const mountPaths = new Map<string, number>([['/tmp', -1]]);
    app.volumes.forEach((volume, j) => {
      const name = volumeNames.get(volume.name);
      if (name !== undefined)
        push(at('volumes', j, 'name'), name < 0 ? '"tmp" is the app\'s own /tmp volume' : `volume "${volume.name}" is declared twice (first at ${formatPath(at('volumes', name))})`, 'give each volume its own name');
      volumeNames.set(volume.name, j);
      const mount = mountPaths.get(volume.mountPath);
      if (mount !== undefined)
        push(at('volumes', j, 'mountPath'), mount < 0 ? '/tmp is already a writable emptyDir' : `"${volume.mountPath}" is mounted twice`, 'mount each volume at its own path');
      mountPaths.set(volume.mountPath, j);
      const replicas = app.scale ? app.scale.maxReplicas : app.replicas;
      if (volume.size !== undefined && app.kind !== 'cronjob' && replicas > 1)
        push(
          at('volumes', j, 'size'),
          `is one ReadWriteOnce claim, but the app runs up to ${replicas} replicas that would all mount it`,
          'run one replica, use an emptyDir for per-pod scratch space, or keep shared data in object storage or the database',
        );
    });
  });

  config.apps.forEach((app, i) =>
    app.calls.forEach((callee, j) => {
      const target = config.apps.find((a) => a.name === callee);
      if (target && !serving.has(callee))
        push(['apps', i, 'calls', j], `"${callee}" is a ${target.kind}: it takes no requests`, `remove "${callee}" from calls; reach it through a topic instead`);
    }),
  );
  return issues;
}
