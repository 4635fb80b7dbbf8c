// Types of check-node-version.js, for the tests that import it.
export declare const MINIMUM_NODE_VERSION: string;
export declare function describeUnsupportedNode(version: string): string | null;
