// Entry point of the `cvat-sync` binary (bin/cvat-sync.js imports the compiled copy).
import { runCli } from './program.js';

runCli(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`error: ${e instanceof Error ? e.message : String(e)}\n`);
    if (process.argv.includes('--debug') && e instanceof Error && e.stack)
      process.stderr.write(`${e.stack}\n`);
    process.exitCode = 1;
  },
);
