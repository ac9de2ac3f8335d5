// Routing by the URL's hash (`#/alerts/ID?status=open`): the server serves one page at one
// address, so the console works under any path prefix and never collides with the API or the
// Elasticsearch-compatible routes.
import { useEffect, useState } from 'preact/hooks';

export interface Location {
  /** The path after `#`, e.g. `/alerts/abc`. */
  path: string;
  /** The query after `?` in the hash. */
  query: URLSearchParams;
}

export function current(): Location {
  const hash = decodeURIComponentSafe(location.hash.replace(/^#/, '')) || '/';
  const at = hash.indexOf('?');
  const path = at < 0 ? hash : hash.slice(0, at);
  const query = new URLSearchParams(at < 0 ? '' : hash.slice(at + 1));
  return { path: path.startsWith('/') ? path : `/${path}`, query };
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURI(s);
  } catch {
    return s;
  }
}

/** Goes to `path` (with an optional query); `replace` keeps the history entry. */
export function navigate(path: string, query?: Record<string, string | undefined> | URLSearchParams, replace = false): void {
  const params = query instanceof URLSearchParams ? query : new URLSearchParams();
  if (!(query instanceof URLSearchParams)) {
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== '') params.set(k, v);
  }
  const q = params.toString();
  const target = `#${path}${q ? `?${q}` : ''}`;
  if (replace) history.replaceState(null, '', target);
  else history.pushState(null, '', target);
  window.dispatchEvent(new HashChangeEvent('hashchange'));
}

/** A link target for `path`: `#/path?query`. */
export function href(path: string, query?: Record<string, string | undefined>): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== '') params.set(k, v);
  const q = params.toString();
  return `#${path}${q ? `?${q}` : ''}`;
}

/** The hash a location was read from, to tell whether it changed. */
function key(l: Location): string {
  const q = l.query.toString();
  return q ? `${l.path}?${q}` : l.path;
}

export function useLocation(): Location {
  const [loc, setLoc] = useState(current());
  useEffect(() => {
    const update = () =>
      setLoc((was) => {
        const now = current();
        return key(now) === key(was) ? was : now;
      });
    window.addEventListener('hashchange', update);
    window.addEventListener('popstate', update);
    // The listeners start after paint: a change made between the first render and now is caught
    // up here, or the console would show the page it first rendered.
    update();
    return () => {
      window.removeEventListener('hashchange', update);
      window.removeEventListener('popstate', update);
    };
  }, []);
  return loc;
}

/** Matches `/incidents/:id` against a path; the named parts, or null. */
export function match(pattern: string, path: string): Record<string, string> | null {
  const want = pattern.split('/').filter(Boolean);
  const got = path.split('/').filter(Boolean);
  if (want.length !== got.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i] as string;
    const g = got[i] as string;
    if (w.startsWith(':')) params[w.slice(1)] = g;
    else if (w !== g) return null;
  }
  return params;
}
