// Where an MCP server may be: the addresses an inline `server_url` must never reach (loopback, private, link-local,
// metadata), checked on the resolved address at connect time, so that DNS rebinding cannot slip past a check made earlier.
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import { McpServerRefusedError } from './mcp-errors.ts';

const FORBIDDEN = new BlockList();
// IPv4: "this network" (0.0.0.0/8), private (RFC 1918), loopback, link-local (cloud metadata at 169.254.169.254),
// shared address space (RFC 6598) and the broadcast address.
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
  ['255.255.255.255', 32],
] as const) {
  FORBIDDEN.addSubnet(network, prefix, 'ipv4');
}
// IPv6: unspecified, loopback, unique local (fc00::/7), link-local (fe80::/10); IPv4-mapped and NAT64 forms are unwrapped below.
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
] as const) {
  FORBIDDEN.addSubnet(network, prefix, 'ipv6');
}

/** True when `address` (an IP literal) is loopback, private, link-local, metadata or unspecified; non-IPs are forbidden too. */
export function isForbiddenAddress(address: string): boolean {
  const bare = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  const family = isIP(bare);
  if (family === 4) return FORBIDDEN.check(bare, 'ipv4');
  if (family !== 6) return true;
  // An IPv4 address written as IPv6 (::ffff:a.b.c.d, ::ffff:7f00:1) reaches the IPv4 host: judge that.
  const mapped = /^(?:0*:)*:?ffff:(.+)$/i.exec(bare)?.[1];
  if (mapped !== undefined) {
    if (isIP(mapped) === 4) return FORBIDDEN.check(mapped, 'ipv4');
    const hex = /^([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(mapped);
    if (hex !== null) {
      const value = (Number.parseInt(hex[1] ?? '0', 16) << 16) | Number.parseInt(hex[2] ?? '0', 16);
      return FORBIDDEN.check([value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.'), 'ipv4');
    }
  }
  return FORBIDDEN.check(bare, 'ipv6');
}

/**
 * Parses a server URL a request gave: http or https only (no stdio, no other scheme), no credentials in it, at most
 * 2048 characters; an IP literal host is checked at once (a name is checked when it resolves, see createGuardedLookup).
 */
export function parseMcpServerUrl(text: string, param: string, allowPrivate: boolean): URL {
  if (text.length > 2048) throw new McpServerRefusedError('The MCP server_url is longer than 2048 characters.', param);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new McpServerRefusedError('The MCP server_url is not a URL.', param);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new McpServerRefusedError('Only MCP servers over Streamable HTTP (http or https URLs) are supported; stdio and other transports are refused.', param);
  }
  if (url.username !== '' || url.password !== '') throw new McpServerRefusedError('The MCP server_url may not carry credentials.', param);
  const host = url.hostname;
  if (!allowPrivate && (isIP(host.replace(/^\[|\]$/g, '')) !== 0 || host.endsWith('.')) && isForbiddenAddress(host.replace(/\.$/, ''))) {
    throw new McpServerRefusedError('The MCP server_url points to a loopback, private, link-local or metadata address.', param);
  }
  if (!allowPrivate && (host === 'localhost' || host.endsWith('.localhost'))) {
    throw new McpServerRefusedError('The MCP server_url points to a loopback, private, link-local or metadata address.', param);
  }
  return url;
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `dns.lookup` for the socket that connects to a server: every resolved address is checked, and the connection
 * uses only what passed, so the address checked is the address connected to (no rebinding between check and use).
 */
export function createGuardedLookup(resolve: typeof dnsLookup = dnsLookup) {
  return (hostname: string, options: { all?: boolean; family?: number | string }, callback: LookupCallback): void => {
    resolve(hostname, { ...options, all: true } as { all: true }, (error, addresses) => {
      if (error !== null) return callback(error, []);
      const list = addresses as LookupAddress[];
      if (list.length === 0 || list.some((entry) => isForbiddenAddress(entry.address))) {
        const refused = Object.assign(new Error(`MCP server host resolves to a forbidden address`), { code: 'EMCPFORBIDDEN' });
        return callback(refused, []);
      }
      if (options.all === true) return callback(null, list);
      const first = list[0] as LookupAddress;
      callback(null, first.address, first.family);
    });
  };
}
