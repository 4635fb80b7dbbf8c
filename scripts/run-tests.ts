// `npm test`'s test run: node --test over every unit and end-to-end test file, as many files at once as the machine
// has cores plus one. Measured on a shared 2-core machine (wall time of the test run alone): 1 at a time (node's
// default there, availableParallelism() - 1) 162 s; 2 at a time 101-121 s under a load of 5, 81 s twice under 3-4;
// 3 at a time 99-101 s under 5, 69-70 s twice under 3-4; 4 at a time 107 s. The files spend much of their time
// waiting on sockets, SQLite and child processes, so one file more than the cores keeps the cores busy; more only
// compete. Extra arguments go to node --test after ours (`npm test -- --test-concurrency=1` wins).
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';

const concurrency = availableParallelism() + 1;
// A test that hangs fails after five minutes instead of holding the run until CI's own limit (the longest test, the
// fuzz suite, is bounded to 60 s; a headless CLI run to 90 s).
const TEST_TIMEOUT_MS = 300_000;
const child = spawn(
  process.execPath,
  ['--test', `--test-concurrency=${concurrency}`, `--test-timeout=${TEST_TIMEOUT_MS}`, 'src/**/*.test.ts', 'test/**/*.test.ts', ...process.argv.slice(2)],
  {
    stdio: 'inherit',
  },
);
// Ctrl-C reaches the child through the terminal's process group; the runner only waits for it and passes its code on.
child.once('exit', (code, signal) => {
  process.exitCode = code ?? (signal === null ? 1 : 128);
});
