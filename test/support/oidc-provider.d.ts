// The part of oidc-provider (v9, a real OpenID provider for sign-in tests) the tests use: the package ships no types.
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  /** An account as findAccount answers it: its id and its claims (what the ID token and userinfo may release). */
  export interface Account {
    accountId: string;
    claims(): Promise<Record<string, unknown>>;
  }

  /** The configuration the tests pass (the provider accepts many more options). */
  export interface Configuration {
    clients?: Record<string, unknown>[];
    claims?: Record<string, string[]>;
    scopes?: string[];
    cookies?: { keys?: string[] };
    features?: Record<string, unknown>;
    ttl?: Record<string, unknown>;
    findAccount?: (context: unknown, id: string) => Promise<Account | undefined>;
  }

  export default class Provider {
    constructor(issuer: string, configuration?: Configuration);
    /** A node:http request listener serving the provider. */
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
  }
}
