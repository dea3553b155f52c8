/**
 * The health vocabulary every command shares, ordered from best to worst so a roll-up is the maximum.
 * The names follow Argo CD's gitops-engine, so an Application's own health maps one to one.
 */
export const HEALTH = ['Healthy', 'Suspended', 'Progressing', 'Unknown', 'Missing', 'Degraded'] as const;
export type Health = (typeof HEALTH)[number];

export interface Assessment {
  health: Health;
  /** What the controller says, in its own words where it has any. */
  message: string;
}

const rank = (health: Health): number => HEALTH.indexOf(health);

/** Worst of several healths; Healthy when there are none. */
export function worst(healths: Iterable<Health>): Health {
  let result: Health = 'Healthy';
  for (const health of healths) if (rank(health) > rank(result)) result = health;
  return result;
}

export type CheckStatus = 'pass' | 'warn' | 'fail' | 'skip';

/** Doctor's verdict for a health: in flux is a warning, broken or absent is a failure. */
export function statusOf(health: Health): CheckStatus {
  switch (health) {
    case 'Healthy':
      return 'pass';
    case 'Suspended':
    case 'Progressing':
    case 'Unknown':
      return 'warn';
    case 'Missing':
    case 'Degraded':
      return 'fail';
  }
}

const STATUS_RANK: Record<CheckStatus, number> = { skip: 0, pass: 1, warn: 2, fail: 3 };

export function worstStatus(statuses: Iterable<CheckStatus>): CheckStatus {
  let result: CheckStatus = 'skip';
  for (const status of statuses) if (STATUS_RANK[status] > STATUS_RANK[result]) result = status;
  return result;
}
