import type { WebhooksResult } from '../commands/webhooks.ts';
import type { Colors } from './output.ts';

/** Each app's receiver URL and where to paste it; or why it is not known yet, or that the app only polls. */
export function describeWebhooks(result: WebhooksResult, c: Colors): string {
  const lines: string[] = [];
  for (const entry of result.entries) {
    if (entry.status === 'ready') {
      lines.push(`${c.green('✓')} ${c.bold(entry.app)}: ${entry.receiver!.kind} receiver ${entry.url}`, `    paste it ${entry.detail}`);
    } else if (entry.status === 'pending') {
      lines.push(`${c.yellow('…')} ${c.bold(entry.app)}: ${entry.receiver!.kind} receiver not published yet: ${entry.detail}`);
    } else {
      lines.push(`${c.dim('-')} ${c.bold(entry.app)}: polls every ${entry.pollInterval}, no receiver (${entry.detail})`);
    }
  }
  if (result.entries.some((entry) => entry.status !== 'poll'))
    lines.push('', c.dim(`Without the webhook a push still arrives, at the next poll (every ${result.entries[0]!.pollInterval}).`));
  return lines.join('\n');
}
