// A hash router in a few lines: `#/requests/req_123` is the page `requests` with the rest `req_123`. The hash keeps
// every route under /ui/ (one index.html), works offline and needs nothing from the server.
import { useEffect, useState } from 'preact/hooks';

/** The current location: the page, what follows it, and the query after `?`. */
export interface Location {
  page: string;
  rest: string[];
  params: URLSearchParams;
}

function readLocation(): Location {
  const hash = window.location.hash.replace(/^#\/?/, '');
  const at = hash.indexOf('?');
  const path = at === -1 ? hash : hash.slice(0, at);
  const [page = '', ...rest] = path.split('/').map((part) => decodeURIComponent(part));
  return { page, rest, params: new URLSearchParams(at === -1 ? '' : hash.slice(at + 1)) };
}

/** The location, updated on every hash change. */
export function useLocation(): Location {
  const [location, setLocation] = useState(readLocation);
  useEffect(() => {
    const update = () => setLocation(readLocation());
    window.addEventListener('hashchange', update);
    return () => window.removeEventListener('hashchange', update);
  }, []);
  return location;
}

/** The href of a page (`href('requests', id)` → `#/requests/<id>`). */
export function href(page: string, ...rest: string[]): string {
  return `#/${[page, ...rest].map((part) => encodeURIComponent(part)).join('/')}`;
}
