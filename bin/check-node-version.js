// The Node version `crossway` needs, checked by the command itself when it starts rather than declared in
// package.json's `engines`: npm checks `engines` against the Node that runs npm, not the one that runs the command
// (the project's `node@24` devDependency, first on PATH in npm scripts and npx), so on a machine whose system Node is
// older every `npx crossway ...` printed EBADENGINE warnings about a Node that never ran the command (issue 19).

/** The oldest Node that runs Crossway: 22.12 has `node:sqlite` and `require(esm)` unflagged. */
export const MINIMUM_NODE_VERSION = '22.12.0';

/**
 * Null when `version` (a `process.versions.node`) is at least MINIMUM_NODE_VERSION, else the message saying so and
 * what to do.
 */
export function describeUnsupportedNode(version) {
  const have = version.split('.').map(Number);
  const need = MINIMUM_NODE_VERSION.split('.').map(Number);
  for (let index = 0; index < need.length; index += 1) {
    if ((have[index] ?? 0) > need[index]) return null;
    if ((have[index] ?? 0) < need[index]) {
      return (
        `crossway: Node ${MINIMUM_NODE_VERSION} or later is needed, this is Node ${version}. ` +
        'Run it through npm (npx crossway, npm start), which uses the Node 24 that npm ci installs, or install Node 24.\n'
      );
    }
  }
  return null;
}
