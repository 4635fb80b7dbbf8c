import { startDemoStack } from './support/start-demo-stack.ts';
const stack = await startDemoStack();
console.log(stack.gateway.url, stack.demo.masterKey);
process.on('SIGTERM', async () => { await stack.close(); process.exit(0); });
setInterval(() => {}, 1 << 30);
