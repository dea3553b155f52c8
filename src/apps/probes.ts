import type { AppConfig, ProbeInput } from '../config/schema.ts';

export type ProbeKind = 'liveness' | 'readiness' | 'startup';
export const PROBE_KINDS: readonly ProbeKind[] = ['liveness', 'readiness', 'startup'];

/** What a service is probed on when it says nothing: its health path on the main port, as before workload kinds existed. */
export const DEFAULT_HEALTH_PATH = '/healthz';

/**
 * The probes an app declares, with the defaults filled in; `false` and absent both mean no probe. A service is
 * probed on its health path; a GPU app that says nothing of a startup probe gets its liveness check as one, since
 * loading a model can outlast liveness's 30 s and get the pod killed before it ever serves.
 */
export function declaredProbes(app: AppConfig): Partial<Record<ProbeKind, Exclude<ProbeInput, false>>> {
  const out: Partial<Record<ProbeKind, Exclude<ProbeInput, false>>> = {};
  for (const kind of PROBE_KINDS) {
    const declared = app.probes[kind];
    const probe =
      declared !== undefined ? declared
      : kind !== 'startup' ? (app.kind === 'service' ? DEFAULT_HEALTH_PATH : undefined)
      : app.gpu && out.liveness ? checkOnly(out.liveness)
      : undefined;
    if (probe !== undefined && probe !== false) out[kind] = probe;
  }
  return out;
}

/** A probe's check without its timing, to be given another probe's timing. */
function checkOnly(probe: Exclude<ProbeInput, false>): Exclude<ProbeInput, false> {
  if (typeof probe === 'string') return probe;
  const { initialDelaySeconds: _delay, periodSeconds: _period, failureThreshold: _failures, ...check } = probe;
  return check;
}

/**
 * A container probe (k8s.io/api core/v1 types.go Probe, ProbeHandler). A startup probe holds the others back
 * until it passes: by default it allows 30 failures 10 s apart, five minutes for a slow start (a model loading onto a GPU).
 */
export function renderProbe(probe: Exclude<ProbeInput, false>, kind: ProbeKind): Record<string, unknown> {
  const timing = { periodSeconds: 10, timeoutSeconds: 2, failureThreshold: kind === 'startup' ? 30 : 3 };
  if (typeof probe === 'string') return { httpGet: { path: probe, port: 'http' }, ...timing };
  const handler =
    'http' in probe
      ? { httpGet: { path: probe.http, port: probe.port ?? 'http' } }
      : 'tcp' in probe
        ? { tcpSocket: { port: probe.tcp } }
        : { exec: { command: probe.exec } };
  return {
    ...handler,
    ...(probe.initialDelaySeconds !== undefined && { initialDelaySeconds: probe.initialDelaySeconds }),
    ...timing,
    ...(probe.periodSeconds !== undefined && { periodSeconds: probe.periodSeconds }),
    ...(probe.failureThreshold !== undefined && { failureThreshold: probe.failureThreshold }),
  };
}

/** The named ports a probe refers to, for checking them against the app's ports. */
export function probePort(probe: Exclude<ProbeInput, false>): string | number | undefined {
  if (typeof probe === 'string') return 'http';
  if ('http' in probe) return probe.port ?? 'http';
  if ('tcp' in probe) return probe.tcp;
  return undefined;
}
