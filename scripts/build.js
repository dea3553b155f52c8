#!/usr/bin/env node
// Builds dist/, the JavaScript an installed package runs: Node will not strip types under node_modules.
// Development runs src/ directly (docs/adr/0001); `npm pack` and git installs run this as `prepare`.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const dist = join(root, 'dist');
if (!existsSync(join(root, 'src', 'cli', 'main.ts'))) {
  process.stdout.write('build: no src/ here (an installed package ships dist/ built); nothing to do\n');
  process.exit(0);
}

// `prepare` runs on `npm pack`, on a git install (in npm's clone) and on `npm install`/`npm ci` in the
// checkout: only the last needs no build, as the checkout runs src/ (and a type error mid-edit must not
// stop an install). npm sets INIT_CWD to where it was started; from anywhere else it builds.
if (process.argv.includes('--prepare') && ['install', 'ci'].includes(process.env.npm_command ?? '') && resolve(process.env.INIT_CWD ?? '') === root) {
  process.stdout.write('build: skipped for an install in the checkout, which runs src/ directly (npm run build builds dist/)\n');
  process.exit(0);
}
rmSync(dist, { recursive: true, force: true });
try {
  execFileSync(process.execPath, [createRequire(import.meta.url).resolve('typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
} catch {
  process.stderr.write('build: tsc failed; nothing was emitted (noEmitOnError)\n');
  process.exit(1);
}

// tsc rewrites the .ts of import specifiers only. A module that names a sibling by a string, such as
// new Worker(new URL('./load-worker.ts', import.meta.url)) or the files a cache key is hashed from, must
// name the built .js too: every quoted relative path ending in .ts whose .js exists in dist/ is rewritten.
const SIBLING = /(['"`])((?:\.\.?\/)?[\w@.-]+(?:\/[\w@.-]+)*)\.ts\1/g;
let rewritten = 0;
for (const entry of readdirSync(dist, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || !entry.name.endsWith('.js')) continue;
  const file = join(entry.parentPath, entry.name);
  const text = readFileSync(file, 'utf8');
  const out = text.replace(SIBLING, (literal, quote, path) => {
    if (!existsSync(resolve(entry.parentPath, `${path}.js`))) return literal;
    rewritten++;
    return `${quote}${path}.js${quote}`;
  });
  if (out !== text) writeFileSync(file, out);
}
process.stdout.write(`build: dist/ written (${rewritten} module path${rewritten === 1 ? '' : 's'} in strings rewritten to .js)\n`);
