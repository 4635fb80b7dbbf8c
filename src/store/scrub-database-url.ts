// Keeps a database URL's credentials out of messages: connection errors can echo the URL, or its password, back.

/**
 * `message` with the URL (as given and as parsed), its password and its user's password removed. The password is
 * replaced wherever it appears, decoded or not, so that an error quoting any piece of the URL reveals nothing secret.
 */
export function scrubDatabaseUrl(message: string, url: string): string {
  const secrets = new Set<string>([url]);
  try {
    const parsed = new URL(url);
    secrets.add(parsed.toString());
    if (parsed.password !== '') {
      secrets.add(parsed.password);
      secrets.add(safeDecode(parsed.password));
    }
  } catch {
    // Not a URL (a key=value connection string, say): only the whole of it is removed.
  }
  let scrubbed = message;
  // Longest first, so that a password inside the URL does not break the URL's own replacement.
  for (const secret of [...secrets].filter((value) => value.length > 0).sort((a, b) => b.length - a.length)) {
    scrubbed = scrubbed.split(secret).join('[redacted]');
  }
  return scrubbed;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
