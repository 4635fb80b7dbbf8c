export * from './run-cli.ts';
export * from './prepare-demo.ts';
export * from './cli-output.ts';
