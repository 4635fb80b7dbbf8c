// The dashboard's one way to the gateway: the session (cookie + CSRF token from /ui/api/session) and JSON calls to
// /admin/* that carry the CSRF token on every state-changing request. The key typed at sign-in goes to the gateway
// once and is never kept: the session is the HttpOnly cookie, out of the page's reach.

/** Who is signed in, as GET /ui/api/session answers. */
export interface User {
  name: string;
  role: 'admin' | 'tenant_admin' | 'viewer';
  tenant_id: string | null;
  via: 'key' | 'oidc';
}

/** An error answer of the gateway (OpenAI's error JSON), or a network failure (status 0). */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string | null;

  constructor(status: number, message: string, code: string | null = null) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

/** The session's CSRF token (GET and POST /ui/api/session answer it); null when signed out. */
let csrf: string | null = null;
/** Called when the gateway says the session is gone (401), so that the app shows the sign-in page. */
let onSignedOut: () => void = () => {};

/** Registers what happens when a call finds the session expired. */
export function whenSignedOut(listener: () => void): void {
  onSignedOut = listener;
}

function headersFor(method: string, body: unknown): Record<string, string> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (csrf !== null && method !== 'GET' && method !== 'HEAD') headers['x-crossway-csrf'] = csrf;
  return headers;
}

async function send(method: string, path: string, body?: unknown): Promise<Response> {
  try {
    return await fetch(path, {
      method,
      headers: headersFor(method, body),
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      cache: 'no-store',
    });
  } catch {
    throw new ApiError(0, 'The gateway cannot be reached.');
  }
}

async function errorOf(response: Response): Promise<ApiError> {
  let message = `${response.status} ${response.statusText}`;
  let code: string | null = null;
  try {
    const parsed = (await response.json()) as { error?: { message?: string; code?: string | null } };
    if (typeof parsed.error?.message === 'string') message = parsed.error.message;
    code = parsed.error?.code ?? null;
  } catch {
    // Not JSON: the status line says enough.
  }
  return new ApiError(response.status, message, code);
}

/** Calls the gateway and parses its JSON answer; throws ApiError on an error status. */
export async function api<T>(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T> {
  const response = await send(method, path, body);
  if (!response.ok) {
    const error = await errorOf(response);
    if (error.status === 401 && csrf !== null) {
      csrf = null;
      onSignedOut();
    }
    throw error;
  }
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

/** Fetches a file (a CSV statement) and hands it to the browser as a download named `filename`. */
export async function download(path: string, filename: string): Promise<void> {
  const response = await send('GET', path);
  if (!response.ok) throw await errorOf(response);
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A query string from the non-empty values of `params` (with its `?`), or ''. */
export function query(params: Record<string, string | number | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value !== undefined && value !== null && value !== '') search.set(name, String(value));
  const text = search.toString();
  return text === '' ? '' : `?${text}`;
}

interface SessionAnswer {
  user: User;
  csrf_token: string;
}

/** The session this browser already has (its cookie), or null. */
export async function restoreSession(): Promise<User | null> {
  const response = await send('GET', '/ui/api/session');
  if (!response.ok) return null;
  const session = (await response.json()) as SessionAnswer;
  csrf = session.csrf_token;
  return session.user;
}

/** Signs in with the master key or an admin key: the gateway answers the session (its cookie) or why not. */
export async function signIn(key: string): Promise<User> {
  const response = await send('POST', '/ui/api/session', { key });
  if (!response.ok) throw await errorOf(response);
  const session = (await response.json()) as SessionAnswer;
  csrf = session.csrf_token;
  return session.user;
}

/** Ends the session (server side too); the page shows the sign-in form afterwards. */
export async function signOut(): Promise<void> {
  try {
    if (csrf !== null) await send('DELETE', '/ui/api/session');
  } finally {
    csrf = null;
  }
}

/** What /ui/api/config says about single sign-on (disabled when the gateway has no such API). */
export async function readConfig(): Promise<{ oidc: { enabled: boolean; login_url: string; name: string } }> {
  const fallback = { oidc: { enabled: false, login_url: '', name: '' } };
  try {
    const response = await send('GET', '/ui/api/config');
    return response.ok ? ((await response.json()) as typeof fallback) : fallback;
  } catch {
    return fallback;
  }
}
