import { run } from './cli.js';

process.exitCode = run(
  process.argv.slice(2),
  (text) => console.log(text),
  (text) => console.error(text),
);
