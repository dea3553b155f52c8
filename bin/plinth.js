#!/usr/bin/env node
// Plain JavaScript so an old Node can still explain what it needs; the CLI itself is TypeScript run by Node 24.
const [major] = process.versions.node.split('.').map(Number);
if (major < 24) {
  process.stderr.write(
    `plinth needs Node.js 24 or newer (this is ${process.version}).\n` +
      'Install it with: npm install --prefix ~/.plinth-node node@24 && export PATH=~/.plinth-node/node_modules/.bin:$PATH\n',
  );
  process.exit(2);
}
// V8 keeps the compiled modules on disk (in the OS temp folder), so later runs skip parsing the CLI's
// TypeScript: about 0.15 s of every command. NODE_DISABLE_COMPILE_CACHE=1 turns it off.
(await import('node:module')).enableCompileCache?.();
// In the checkout Node runs the TypeScript sources (docs/adr/0001). An installed package has no src/: Node
// will not strip types under node_modules, so it runs the JavaScript that `npm pack` built into dist/.
// Looking for the sources, not for dist/, keeps a stale dist/ in the checkout from ever running.
const source = new URL('../src/cli/main.ts', import.meta.url);
const entry = (await import('node:fs')).existsSync(source) ? source : new URL('../dist/cli/main.js', import.meta.url);
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
});
