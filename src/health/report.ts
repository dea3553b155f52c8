import type { DoctorResult } from '../commands/doctor.ts';
import type { DoctorCheck, RootCause } from './doctor.ts';

const escape = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const MARK = { pass: '✓', warn: '!', fail: '✗', skip: '–' } as const;

const causeAnchor = (index: number) => `cause-${index + 1}`;

function check(c: DoctorCheck, causes: Map<string, { cause: RootCause; index: number }>): string {
  const chain = c.chain && c.chain.length > 1
    ? `<ol class="chain">${c.chain
        .map(
          (s) =>
            `<li class="${s.health.toLowerCase()}"><code>${escape(s.ref)}</code> <span class="health">${escape(s.health)}</span> ${escape(s.message)}` +
            (s.why ? `<div class="why">${escape(s.why)}</div>` : '') +
            (s.events?.length ? `<ul class="events">${s.events.map((e) => `<li>${escape(e)}</li>`).join('')}</ul>` : '') +
            `</li>`,
        )
        .join('')}</ol>`
    : '';
  // A check that shares its root cause links to it, where the hint is, instead of repeating the hint.
  const shared = c.rootCause ? causes.get(c.rootCause) : undefined;
  const hint = shared
    ? `<div class="blocked">waits on <a href="#${causeAnchor(shared.index)}">root cause ${shared.index + 1}: ${escape(shared.cause.title)}</a></div>`
    : c.hint
      ? `<div class="hint">hint: ${escape(c.hint)}</div>`
      : '';
  return (
    `<tr class="${c.status}"><td class="mark" title="${c.status}">${MARK[c.status]} ${c.status}</td><td>${escape(c.name)}${c.ref ? `<div class="ref">${escape(c.ref)}</div>` : ''}</td>` +
    `<td>${escape(c.message)}${hint}${chain}</td></tr>`
  );
}

function rootCause(cause: RootCause, index: number): string {
  const blocked = cause.checks.filter((x) => x.status !== 'skip').length;
  const skipped = cause.checks.length - blocked;
  return (
    `<div class="cause ${cause.status}" id="${causeAnchor(index)}"><h3><span class="mark">${MARK[cause.status]}</span> root cause ${index + 1}: ${escape(cause.title)}</h3>` +
    `<p>${escape(cause.message)}</p>${cause.hint ? `<div class="hint">do first: ${escape(cause.hint)}</div>` : ''}` +
    `<details><summary>${blocked} check${blocked === 1 ? '' : 's'}${skipped ? ` (and ${skipped} skipped)` : ''} depend on it</summary><ul>` +
    cause.checks.map((x) => `<li class="${x.status}"><a href="#feature-${escape(x.feature)}">${escape(x.feature)}</a>: ${escape(x.name)} <span class="status">${x.status}</span></li>`).join('') +
    `</ul></details></div>`
  );
}

/** One self-contained page (inline styles, no scripts or external assets) that a team can attach to an incident. */
export function htmlReport(result: DoctorResult): string {
  const { summary } = result;
  const rootCauses = result.rootCauses ?? [];
  const causes = new Map(rootCauses.map((cause, index) => [cause.id, { cause, index }]));
  const features = result.features
    .map(
      (f) =>
        `<section class="feature ${f.status}" id="feature-${escape(f.id)}"><h2><span class="mark">${MARK[f.status]}</span> ${escape(f.id)} <small>${escape(f.title)}</small></h2>` +
        `<table><thead><tr><th>status</th><th>check</th><th>message</th></tr></thead><tbody>${f.checks.map((c) => check(c, causes)).join('')}</tbody></table></section>`,
    )
    .join('\n');
  const causesSection = rootCauses.length
    ? `<section class="causes" id="root-causes"><h2>Root causes: fix these first</h2>${rootCauses.map(rootCause).join('\n')}</section>\n`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>plinth doctor: ${escape(result.cluster)} (${result.status})</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:70rem;padding:0 1rem;color:#1b1f24}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin:1.6rem 0 .4rem}h2 small{font-weight:normal;color:#57606a}
table{border-collapse:collapse;width:100%}td,th{border-top:1px solid #d0d7de;padding:.35rem .5rem;vertical-align:top;text-align:left}
th{font-weight:600;color:#57606a}.mark{white-space:nowrap;font-weight:600}
tr.pass>.mark,.pass>h2>.mark,.pass>h3>.mark{color:#1a7f37}tr.warn>.mark,.warn>h2>.mark,.warn>h3>.mark{color:#9a6700}
tr.fail>.mark,.fail>h2>.mark,.fail>h3>.mark{color:#cf222e}tr.skip>.mark,.skip>h2>.mark,.skip>h3>.mark{color:#6e7781}
.summary strong.pass{color:#1a7f37}.summary strong.warn{color:#9a6700}.summary strong.fail{color:#cf222e}
.cause{border-left:4px solid #d0d7de;padding:.2rem .8rem;margin:.8rem 0}.cause.fail{border-color:#cf222e}.cause.warn{border-color:#9a6700}
.cause h3{font-size:1rem;margin:.3rem 0}.cause p{margin:.3rem 0}.cause li .status{color:#57606a;font-size:12px}.blocked{margin-top:.3rem;color:#57606a}
.ref{font-family:ui-monospace,monospace;font-size:12px;color:#57606a}.hint{margin-top:.3rem;padding:.3rem .5rem;background:#fff8c5;border-radius:4px}
.chain{margin:.4rem 0 0;padding-left:1.4rem}.chain li{margin:.2rem 0}.chain .health{font-weight:600}
.chain .degraded .health,.chain .missing .health{color:#cf222e}.chain .progressing .health,.chain .unknown .health{color:#9a6700}
.why,.events{color:#57606a;font-size:12px}.summary span{margin-right:1rem}
</style></head><body>
<h1>plinth doctor: ${escape(result.cluster)} <small>${escape(result.server)}</small></h1>
<p class="summary" id="summary"><span>overall: <strong class="${result.status}">${result.status}</strong></span><span>${summary.pass} pass</span><span>${summary.warn} warn</span><span>${summary.fail} fail</span><span>${summary.skip} skip</span><span>generated ${escape(result.generatedAt)}</span></p>
${causesSection}${features}
</body></html>
`;
}
