// Where a command writes its output: the process's streams when run as `crossway`, buffers when a test runs it in process.

/** The two streams a command writes text to. */
export interface CliOutput {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

/** The process's own stdout and stderr. */
export const PROCESS_OUTPUT: CliOutput = { stdout: process.stdout, stderr: process.stderr };
