// Enforces the dependency direction of ../shared/DESIGN.md and STYLE.md rule 1:
// parts import one another only through index.ts, and arrows point one way.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'through-index-only',
      comment: 'Another part is imported only through its index.ts.',
      severity: 'error',
      from: { path: '^src/([^/]+)/' },
      to: { path: '^src/[^/]+/', pathNot: ['^src/$1/', '^src/[^/]+/index\\.ts$'] },
    },
    {
      name: 'wire-is-the-bottom',
      severity: 'error',
      from: { path: '^src/wire/' },
      to: { path: '^src/(?!wire/)' },
    },
    {
      name: 'catalog-depends-on-wire-only',
      severity: 'error',
      from: { path: '^src/catalog/' },
      to: { path: '^src/(?!catalog/|wire/)' },
    },
    {
      name: 'providers-translate-only',
      comment: 'Adapters know the wire and the catalog, nothing above them.',
      severity: 'error',
      from: { path: '^src/providers/' },
      to: { path: '^src/(?!providers/|wire/|catalog/)' },
    },
    {
      name: 'emulators-are-independent-witnesses',
      comment: 'Emulators implement each cloud from its documentation and never reuse the adapters.',
      severity: 'error',
      from: { path: '^src/emulators/' },
      to: { path: '^src/(?!emulators/|wire/)' },
    },
    {
      name: 'execute-below-server',
      severity: 'error',
      from: { path: '^src/(execute|policy)/' },
      to: { path: '^src/(server|calls|turns|runtime|cli|emulators)/' },
    },
    {
      name: 'shared-services-import-no-layer-above',
      comment: 'metering, tenancy, store and observe are used by the layers above and import none of them.',
      severity: 'error',
      from: { path: '^src/(metering|tenancy|store|observe)/' },
      to: { path: '^src/(server|calls|turns|runtime|policy|execute|providers|emulators|cli)/' },
    },
    {
      name: 'core-knows-no-transport',
      comment: 'calls/ and turns/ are the application core every front door shares: no HTTP, no server, no CLI.',
      severity: 'error',
      from: { path: '^src/(calls|turns)/' },
      to: { path: ['^src/(server|cli|emulators)/', '^(node:)?https?$', '^(node:)?http2$', '^(node:)?net$'] },
    },
    {
      name: 'agents-core-knows-no-transport',
      comment: 'src/agents runs agent sessions over the turn machinery: no HTTP, no server, no CLI; nothing below it imports it.',
      severity: 'error',
      from: { path: '^src/agents/' },
      to: { path: ['^src/(server|cli|emulators)/', '^(node:)?https?$', '^(node:)?http2$', '^(node:)?net$'] },
    },
    {
      name: 'only-front-doors-import-agents',
      severity: 'error',
      from: { path: '^src/(?!agents/|server/|cli/)' },
      to: { path: '^src/agents/' },
    },
    {
      name: 'calls-below-turns',
      comment: 'A turn runs model calls; a call knows nothing of turns.',
      severity: 'error',
      from: { path: '^src/calls/' },
      to: { path: '^src/turns/' },
    },
    {
      name: 'messages-translate-only',
      comment: 'The Messages API translation (src/messages) knows the wire, the catalog and the core; no transport, no server.',
      severity: 'error',
      from: { path: '^src/messages/' },
      to: { path: ['^src/(?!messages/|wire/|catalog/|calls/)', '^(node:)?https?$', '^(node:)?http2$', '^(node:)?net$'] },
    },
    {
      name: 'cluster-links-replicas-only',
      comment:
        'src/cluster links the replicas of a gateway (Redis pub/sub, probe locks, shared decisions); it knows the store, observe, wire and the ' +
        'catalog, and the parts it serves only by the shape of the peer interfaces they own.',
      severity: 'error',
      from: { path: '^src/cluster/' },
      to: { path: '^src/(?!cluster/|store/|observe/|wire/|catalog/)' },
    },
    {
      name: 'mcp-is-an-engine',
      comment: 'src/mcp lists and calls tools on MCP servers; it knows the store, observe, wire and the catalog, never a front door.',
      severity: 'error',
      from: { path: '^src/mcp/' },
      to: { path: '^src/(?!mcp/|store/|observe/|wire/|catalog/)' },
    },
    {
      name: 'only-the-assembly-joins-the-cluster',
      comment: 'Parts below the server get their peers injected (RouteHealthPeers, TenancyPeers, ...) and stay free of Redis.',
      severity: 'error',
      from: { path: '^src/(?!cluster/|server/|cli/)' },
      to: { path: '^src/cluster/' },
    },
    {
      name: 'only-cli-starts-things',
      severity: 'error',
      from: { path: '^src/(?!cli/)' },
      to: { path: '^src/cli/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    exclude: { path: '\\.test\\.ts$' },
  },
};
