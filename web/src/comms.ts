// Communications: the API's types, the message templates with their labels
// in the reader's language, and what a user's role allows.
import { api } from './api';
import type { Session } from './app';
import { lang } from './i18n';

export interface RecipientState {
  org: string;
  state: string;
  escalated: boolean;
  ack_due: string;
  response_due: string | null;
  delivered: string | null;
  acknowledged: string | null;
  responded: string | null;
  closed: string | null;
  declined: string | null;
}

export interface MessageSummary {
  id: string;
  thread: string;
  in_reply_to: string | null;
  kind: string;
  version: number;
  author_org: string;
  sender_user: string | null;
  urgency: string;
  tlp: string;
  pap: string | null;
  check: boolean;
  needs_response: boolean;
  created: string;
  recipients: RecipientState[];
}

export interface OpenedMessage extends MessageSummary {
  language: string;
  fields: Record<string, any>;
  to_pocs: string[];
}

export interface TimelineEvent {
  id: string;
  message: string;
  org: string | null;
  actor_org: string;
  actor_user: string | null;
  action: string;
  stage: 'ack' | 'response' | null;
  at: string;
}

export interface OverdueItem {
  message: string;
  kind: string;
  urgency: string;
  author_org: string;
  org: string;
  stage: 'ack' | 'response';
  due: string;
}

export interface FieldSpec {
  name: string;
  type: 'choice' | 'rsit' | 'sectors' | 'countries' | 'time_window' | 'line' | 'text' | 'stix_bundle' | 'poc';
  required: boolean;
  label: string;
  help?: string;
  vocabulary?: string;
  max_length?: number;
  max_items?: number;
  // Required when another (choice) field has one of these values.
  required_when?: Record<string, string[]>;
}

export interface Template {
  kind: string;
  version: number;
  needs_response: boolean;
  label: string;
  help: string;
  fields: FieldSpec[];
}

type Labels = Record<string, Record<string, string>>;

export interface Templates {
  language: string;
  templates: Template[];
  vocabularies: { urgency: string[]; tlp: string[]; pap: string[]; state: string[]; action: string[]; rsit: Record<string, string[]> };
  labels: Labels;
}

export interface Stats {
  targets: number;
  acknowledged: number;
  in_time: number;
  response_rate: number;
  median_ms: number | null;
  p95_ms: number | null;
}

export interface CheckSummary {
  id: string;
  author_org: string;
  started: string;
  deadline: string;
  overall: Stats;
}

export interface CheckReport extends CheckSummary {
  by_country: Record<string, Stats>;
  by_grouping: Record<string, Stats>;
  rows: { org: string; name: string; country: string | null; groupings: string[]; acknowledged: boolean; in_time: boolean; ack_after_ms: number | null }[];
}

// The templates in each UI language, fetched once per language.
const cache = new Map<string, Promise<Templates>>();
export function templates(l: string = lang()): Promise<Templates> {
  let p = cache.get(l);
  if (!p) {
    p = api<Templates>('GET', `/api/v1/comms/templates?lang=${encodeURIComponent(l)}`);
    p.catch(() => cache.delete(l));
    cache.set(l, p);
  }
  return p;
}

// A label of the server's catalogue ("urgency", "urgent"); the value itself
// when the catalogue has none.
export function label(tpl: Templates | null, group: string, key: string): string {
  return tpl?.labels[group]?.[key] ?? key;
}

// Permissions (src/auth): analysts and above read messages, officers and
// above act on them, admins and operators start communication checks.
const rank = { viewer: 0, analyst: 1, officer: 2, admin: 3 } as const;
export const canRead = (s: Session) => rank[s.user.role] >= rank.analyst;
export const canAct = (s: Session) => rank[s.user.role] >= rank.officer;
export const canCheck = (s: Session) => s.user.role === 'admin' || s.user.operator;

// Where a recipient's exchange stands: the deadline that applies now, and
// whether it has passed.
export function pending(r: RecipientState, needsResponse: boolean): { stage: 'ack' | 'response'; due: string } | null {
  if (r.state === 'closed' || r.state === 'declined' || r.state === 'responded') return null;
  if (!r.acknowledged) return { stage: 'ack', due: r.ack_due };
  if (needsResponse && r.response_due && !r.responded) return { stage: 'response', due: r.response_due };
  return null;
}

export function isLate(due: string, now = Date.now()): boolean {
  return new Date(due).getTime() < now;
}

// Runs `fn` when the node reports a change to one of the organisation's
// messages (server-sent events from /api/v1/events, which EventSource
// reconnects), and every `ms` while the page is visible as a fallback (the
// node refuses streams beyond its limit) and when the page becomes visible
// again. Returns the stop function.
export function poll(fn: () => void, ms = 15000): () => void {
  let timer: ReturnType<typeof setInterval> | undefined;
  const start = () => {
    if (timer === undefined) timer = setInterval(() => document.visibilityState === 'visible' && fn(), ms);
  };
  const onVisible = () => {
    if (document.visibilityState === 'visible') fn();
  };
  let events: EventSource | undefined;
  if (typeof EventSource !== 'undefined') {
    events = new EventSource('/api/v1/events');
    events.addEventListener('message', () => {
      if (document.visibilityState === 'visible') fn();
    });
  }
  start();
  document.addEventListener('visibilitychange', onVisible);
  return () => {
    clearInterval(timer);
    events?.close();
    document.removeEventListener('visibilitychange', onVisible);
  };
}

// Ids of the messages of a thread, in the order they were sent.
export function threadMessages(events: TimelineEvent[]): string[] {
  return events.filter((e) => e.action === 'sent').map((e) => e.message);
}
