// Turns an error body that is not the cloud's JSON (an HTML page from a proxy or load balancer, plain text) into a
// short, single-line message that can be shown to a client.

const MAX_LENGTH = 300;
const decoder = new TextDecoder('utf-8');

/** Decodes a reply body as UTF-8 text (invalid bytes become U+FFFD). */
export function decodeBody(body: Uint8Array): string {
  return decoder.decode(body);
}

/**
 * A short message for a non-JSON error body: an HTML page gives its `<title>` (or its text without tags); text is
 * collapsed to one line; both are cut to 300 characters. Empty bodies give `HTTP <status>`.
 */
export function summarizeErrorBody(text: string, status: number): string {
  let summary = text;
  if (/<(!doctype|html|head|body|title)\b/i.test(text)) {
    const title = /<title[^>]*>([\s\S]*?)<\/title>/i.exec(text)?.[1];
    summary = title ?? text.replace(/<(script|style)\b[\s\S]*?<\/\1>/gi, ' ').replace(/<[^>]*>/g, ' ');
  }
  summary = summary.replace(/\s+/g, ' ').trim();
  if (summary === '') return `HTTP ${status}`;
  return summary.length > MAX_LENGTH ? `${summary.slice(0, MAX_LENGTH - 1)}…` : summary;
}
