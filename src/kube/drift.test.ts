import { describe, expect, it } from 'vitest';
import { permanentDrift } from './drift.ts';

const cluster = (roles: Record<string, unknown>[]) => ({
  apiVersion: 'postgresql.cnpg.io/v1',
  kind: 'Cluster',
  metadata: { name: 'main', namespace: 'databases' },
  spec: { instances: 2, managed: { roles } },
});

describe('permanent drift under a client-side diff', () => {
  it('is a list item the API server completes with a default: the rendered list replaces it whole at every diff', () => {
    const rendered = cluster([{ name: 'app', ensure: 'present', login: true }]);
    const completed = { ...cluster([{ name: 'app', ensure: 'present', login: true, connectionLimit: -1, inherit: true }]), status: { phase: 'x' } };
    expect(permanentDrift(rendered, completed)).toEqual(['spec.managed.roles']);
  });

  it('is none when the rendered list states the defaults, in whatever key order the server returns them', () => {
    const role = { name: 'app', ensure: 'present', login: true, connectionLimit: -1, inherit: true };
    const reordered = { inherit: true, connectionLimit: -1, login: true, ensure: 'present', name: 'app' };
    expect(permanentDrift(cluster([role]), cluster([reordered]))).toEqual([]);
  });

  it('is none for a field the server adds to a map: a merge keeps it', () => {
    const completed = { ...cluster([]), spec: { instances: 2, managed: { roles: [] }, logLevel: 'info', metadata: { uid: 'u' } } };
    expect(permanentDrift(cluster([]), completed)).toEqual([]);
  });

  it('is a rendered field the server does not keep, and a changed scalar', () => {
    const completed = { ...cluster([]), spec: { instances: 3, managed: {} } };
    expect(permanentDrift(cluster([]), completed)).toEqual(['spec.instances', 'spec.managed.roles']);
  });

  it('leaves built-in kinds alone: Argo CD applies their scheme defaults and merges their lists by key', () => {
    const rendered = { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { ports: [{ port: 80 }] } };
    const completed = { ...rendered, spec: { ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }] } };
    expect(permanentDrift(rendered, completed)).toEqual([]);
  });
});
