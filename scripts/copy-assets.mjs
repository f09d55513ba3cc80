// tsc emits only .js: copy the journal's SQL migrations next to the compiled code.
import { cpSync } from 'node:fs';

cpSync('main/journal/migrations', 'dist/main/journal/migrations', { recursive: true });
