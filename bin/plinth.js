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
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
});
