export * from './run-cli.ts';
export * from './prepare-demo.ts';
