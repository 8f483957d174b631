#!/usr/bin/env node
// The `graft` command: runs the compiled CLI (dist/, built by `npm run build`, which `npm ci`,
// `npm pack` and a git install run through `prepare`). Developers run the sources with
// `npm run graft -- ...` instead.
// `graft list | head` closes the pipe early: that is the reader's choice, not a crash.
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});
let cli;
try {
  cli = await import('../dist/cli/main.js');
} catch (e) {
  if (e?.code !== 'ERR_MODULE_NOT_FOUND' || !String(e.message).includes('dist/cli/main.js')) throw e;
  process.stderr.write('graft: the compiled CLI (dist/cli/main.js) is missing; run `npm run build` in the graftml folder\n');
  process.exit(1);
}
process.exitCode = await cli.main(process.argv.slice(2));
