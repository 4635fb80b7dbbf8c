// MCP server credentials at rest: each header value sealed with AES-256-GCM under a key derived from the installation's
// secret, bound to its tenant, server label and header name, so that the `mcp_servers` table alone (a dump, a backup
// of one table, a query that reads it) does not reveal them and a sealed value cannot be moved to another server.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { CrosswayError } from '../wire/index.ts';

const PREFIX = 'cwsealed1:';

/** The key credentials are sealed with, derived from the installation's secret (never stored itself). */
export function deriveMcpCredentialKey(installationKey: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', installationKey, Buffer.alloc(0), 'crossway mcp credentials v1', 32));
}

/** The headers with every value sealed for (tenant, label, header name). */
export function sealMcpHeaders(headers: Readonly<Record<string, string>>, key: Buffer, tenant: string, label: string): Record<string, string> {
  const sealed: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(additionalData(tenant, label, name));
    const body = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()]);
    sealed[name] = PREFIX + Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
  }
  return sealed;
}

/** The headers' values opened; a value that does not open (another installation's, tampered, moved) fails closed. */
export function openMcpHeaders(headers: Readonly<Record<string, string>>, key: Buffer, tenant: string, label: string): Record<string, string> {
  const opened: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    try {
      if (!value.startsWith(PREFIX)) throw new Error('not sealed');
      const bytes = Buffer.from(value.slice(PREFIX.length), 'base64url');
      const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, 12));
      decipher.setAAD(additionalData(tenant, label, name));
      decipher.setAuthTag(bytes.subarray(12, 28));
      opened[name] = Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]).toString('utf8');
    } catch {
      // The message names the server, never the value.
      throw new CrosswayError(`The credentials of the MCP server '${label}' cannot be read: an admin must set them again.`, {
        code: 'mcp_credentials_unreadable',
        status: 500,
        type: 'server_error',
      });
    }
  }
  return opened;
}

function additionalData(tenant: string, label: string, name: string): Buffer {
  return Buffer.from(JSON.stringify([tenant, label, name.toLowerCase()]));
}
