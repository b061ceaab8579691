// Hash routing (#/orgs/ID, #/contacts?q=...): the server needs no fallback
// route, and every screen, search included, has a link and a history entry.
import { useEffect, useState } from 'preact/hooks';

export interface Route {
  path: string[];
  params: Record<string, string>;
}

export function parseRoute(hash: string = location.hash): Route {
  const raw = hash.replace(/^#\/?/, '');
  const q = raw.indexOf('?');
  const p = q < 0 ? raw : raw.slice(0, q);
  const params = Object.fromEntries(new URLSearchParams(q < 0 ? '' : raw.slice(q + 1)));
  return { path: p.split('/').filter(Boolean).map(decodeURIComponent), params };
}

export function useRoute(): Route {
  const [route, setRoute] = useState(parseRoute());
  useEffect(() => {
    const on = () => setRoute(parseRoute());
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return route;
}

export function go(path: string) {
  location.hash = path;
}

// "#/path?k=v" with empty values left out.
export function href(path: string, params: Record<string, string | undefined> = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) q.set(k, v);
  const s = q.toString();
  return `#${path}${s ? `?${s}` : ''}`;
}
