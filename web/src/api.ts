// The node's API, same origin. The CSRF token lives in memory only.
export interface Problem {
  status: number;
  detail: string;
  field?: string;
  type?: string;
}

export class ApiError extends Error {
  constructor(public problem: Problem) {
    super(problem.detail);
  }
}

let csrf = '';
export function setCsrf(token: string) {
  csrf = token;
}
// For the few requests that cannot go through api() (a bundle sent as it is).
export function csrfToken(): string {
  return csrf;
}

type Listener = () => void;
let onUnauthorized: Listener = () => {};
export function whenUnauthorized(fn: Listener) {
  onUnauthorized = fn;
}

export async function api<T = any>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET') headers['X-CSRF-Token'] = csrf;
  const res = await fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let data: any = {};
  try {
    data = text ? JSON.parse(text) : {};
  } catch {
    if (res.ok) throw new ApiError({ status: res.status, detail: 'not JSON' });
  }
  if (!res.ok) {
    const p: Problem = { status: res.status, detail: data.detail ?? res.statusText, field: data.field, type: data.type };
    // A wrong second-factor code (field "totp") is not the end of the session.
    if (res.status === 401 && path !== '/api/v1/auth/login' && p.field !== 'totp') onUnauthorized();
    throw new ApiError(p);
  }
  return data as T;
}

export function query(params: Record<string, string | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
}

export interface User {
  id: string;
  org: string;
  username: string;
  display_name: string;
  role: 'viewer' | 'analyst' | 'officer' | 'admin';
  operator: boolean;
  disabled: boolean;
  totp_enabled: boolean;
  created: string;
}
export interface Org {
  id: string;
  kind: string;
  names: Record<string, string>;
  country?: string;
  groupings: string[];
  sectors: string[];
  sign_public: string;
  box_public: string;
  fingerprint: string;
  home_node: string;
  website?: string;
  iana_id?: number;
  updated: string;
}
export interface Hours {
  always?: boolean;
  days?: string[];
  start?: string;
  end?: string;
}
export interface Poc {
  id: string;
  org: string;
  role: string;
  function_title: string;
  name?: string;
  languages: string[];
  timezone: string;
  hours: Hours;
  channels?: { type: string; value: string }[];
  erased: boolean;
  updated: string;
}
export interface Page<T> {
  items: T[];
  next: string | null;
}
export interface Reference {
  countries: { code: string; name: string }[];
  languages: { code: string; name: string }[];
  sectors: { code: string; name: string }[];
  org_kinds: string[];
  poc_roles: string[];
}

// Organisations by id, for showing a contact's organisation by name; the
// cache lives as long as the page (and is dropped on sign-out).
const orgCache = new Map<string, Promise<Org>>();
export function getOrg(id: string): Promise<Org> {
  let p = orgCache.get(id);
  if (!p) {
    p = api<Org>('GET', `/api/v1/orgs/${encodeURIComponent(id)}`);
    p.catch(() => orgCache.delete(id));
    orgCache.set(id, p);
  }
  return p;
}
export function forgetOrgs() {
  orgCache.clear();
}
