// Messages: the inbox and the sent box (#/messages, #/messages?box=sent, with
// filters and paging in the address), and a thread (#/messages/ID): every
// message of it with its structured part in the reader's language and the
// free text as written, the timeline of both sides with "Verify" on each
// entry, and what the user may do (acknowledge, decline, respond, close).
// Lists and threads are polled every 15 s while the page is visible.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, getOrg, query, type Page, type Poc } from '../api';
import type { Session } from '../app';
import { canAct, isLate, label, pending, poll, templates, threadMessages, type MessageSummary, type OpenedMessage, type RecipientState, type Templates, type TimelineEvent } from '../comms';
import { countryName, formatDate, lang, languageName, sectorName, t } from '../i18n';
import { OrgLabel, OrgName } from '../orgname';
import { go, href } from '../router';
import { Alert, errorText, Select } from '../ui';
import { useVerify, VerifyButton, VerifyResult } from '../verifyui';
import { RespondForm } from './compose';

// Templates in the UI language (they change with it).
export function useTemplates(): Templates | null {
  const [tx, setTx] = useState<Templates | null>(null);
  const l = lang();
  useEffect(() => {
    templates(l).then(setTx, () => setTx(null));
  }, [l]);
  return tx;
}

// Opened messages by id (their content never changes); forgotten on sign-out.
const opened = new Map<string, Promise<OpenedMessage>>();
export function openMessage(id: string): Promise<OpenedMessage> {
  let p = opened.get(id);
  if (!p) {
    p = api<OpenedMessage>('GET', `/api/v1/messages/${encodeURIComponent(id)}`);
    p.catch(() => opened.delete(id));
    opened.set(id, p);
  }
  return p;
}
export function forgetMessages() {
  opened.clear();
}

// The summary line of each listed message (the list itself carries only the
// header), opened a few at a time.
function useSummaries(ids: string[]): Record<string, { text: string; lang: string }> {
  const [out, setOut] = useState<Record<string, { text: string; lang: string }>>({});
  useEffect(() => {
    let live = true;
    const todo = ids.filter((id) => !(id in out));
    (async () => {
      for (let i = 0; i < todo.length && live; i += 4) {
        const batch = await Promise.all(todo.slice(i, i + 4).map((id) => openMessage(id).then((m) => [id, { text: String(m.fields.summary ?? ''), lang: m.language }] as const, () => null)));
        if (!live) return;
        setOut((prev) => ({ ...prev, ...Object.fromEntries(batch.filter((x) => x !== null) as [string, { text: string; lang: string }][]) }));
      }
    })();
    return () => {
      live = false;
    };
  }, [ids.join()]);
  return out;
}

export function UrgencyBadge({ tx, urgency }: { tx: Templates | null; urgency: string }) {
  return <span class={`badge urgency-${urgency}`}>{label(tx, 'urgency', urgency)}</span>;
}

export function StateBadge({ tx, state }: { tx: Templates | null; state: string }) {
  return <span class={`badge state-${state}`}>{label(tx, 'state', state)}</span>;
}

// The deadline that applies now, marked when it has passed.
export function Deadline({ r, needsResponse }: { r: RecipientState; needsResponse: boolean }) {
  const p = pending(r, needsResponse);
  if (!p) return <span class="muted">—</span>;
  const late = isLate(p.due);
  return (
    <span class={late ? 'late' : undefined}>
      {t(`msg.due.${p.stage}`)} {formatDate(p.due)}
      {late && (
        <>
          {' '}
          <span class="badge badge-late">{t('msg.overdue')}</span>
        </>
      )}
    </span>
  );
}

export function MessageList({ session, params }: { session: Session; params: Record<string, string> }) {
  const tx = useTemplates();
  const box = params.box === 'sent' ? 'sent' : 'inbox';
  const [f, setF] = useState({ state: params.state ?? '', kind: params.kind ?? '' });
  const limit = /^\d{1,3}$/.test(params.limit ?? '') ? params.limit : undefined;
  const sig = JSON.stringify([box, params.state ?? '', params.kind ?? '', limit]);
  const [result, setResult] = useState<{ sig: string; page: Page<MessageSummary> } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const page = result?.sig === sig ? result.page : null;
  const url = (cursor?: string) => '/api/v1/messages' + query({ box, state: params.state, kind: params.kind, limit, cursor });
  const load = async () => {
    try {
      const r = await api<Page<MessageSummary>>('GET', url());
      setError(null);
      // A refresh keeps the pages loaded after the first.
      setResult((prev) => {
        if (!prev || prev.sig !== sig || prev.page.items.length <= r.items.length) return { sig, page: r };
        const last = r.items[r.items.length - 1]?.id ?? '';
        return { sig, page: { items: [...r.items, ...prev.page.items.filter((m) => m.id < last)], next: prev.page.next } };
      });
    } catch (e) {
      setError(e);
    }
  };
  const more = async () => {
    if (!page?.next) return;
    setBusy(true);
    try {
      const r = await api<Page<MessageSummary>>('GET', url(page.next));
      setResult({ sig, page: { items: [...page.items, ...r.items], next: r.next } });
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  useEffect(() => {
    setF({ state: params.state ?? '', kind: params.kind ?? '' });
    load();
    return poll(load);
  }, [sig]);
  const summaries = useSummaries(page?.items.map((m) => m.id) ?? []);
  const submit = (e: Event) => {
    e.preventDefault();
    const target = href('/messages', { box: box === 'sent' ? 'sent' : undefined, ...f, limit });
    if (target === location.hash) load();
    else go(target.slice(1));
  };
  const me = session.user.org;
  return (
    <section>
      <div class="title-row">
        <h1>{t('msg.title')}</h1>
        {canAct(session) && (
          <a class="button" href="#/compose">
            {t('msg.new')}
          </a>
        )}
      </div>
      <nav class="tabs" aria-label={t('msg.boxes')}>
        <a href="#/messages" class={box === 'inbox' ? 'tab active' : 'tab'} aria-current={box === 'inbox' ? 'page' : undefined}>
          {t('msg.inbox')}
        </a>
        <a href="#/messages?box=sent" class={box === 'sent' ? 'tab active' : 'tab'} aria-current={box === 'sent' ? 'page' : undefined}>
          {t('msg.sent')}
        </a>
      </nav>
      <form class="filters" role="search" aria-label={t('msg.filters')} onSubmit={submit}>
        <Select label={t('msg.state')} name="state" value={f.state} onChange={(v) => setF({ ...f, state: v })} any options={(tx?.vocabularies.state ?? []).map((s) => ({ value: s, label: label(tx, 'state', s) }))} error={error} />
        <Select label={t('msg.kind')} name="kind" value={f.kind} onChange={(v) => setF({ ...f, kind: v })} any options={(tx?.templates ?? []).filter((x, i, all) => all.findIndex((y) => y.kind === x.kind) === i).map((x) => ({ value: x.kind, label: x.label }))} error={error} />
        <button type="submit">{t('msg.filter')}</button>
      </form>
      {error !== null && <Alert>{errorText(error)}</Alert>}
      <p class="muted results" role="status">
        {!page ? t('common.loading') : page.items.length === 0 ? t('msg.empty') : t('dir.results', { n: String(page.items.length) })}
      </p>
      {page && page.items.length > 0 && (
        <table class="list messages">
          <caption class="visually-hidden">{box === 'inbox' ? t('msg.inbox') : t('msg.sent')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('msg.urgency')}</th>
              <th scope="col">{t('msg.kind')}</th>
              <th scope="col">{t('msg.summary')}</th>
              <th scope="col">{box === 'inbox' ? t('msg.from') : t('msg.to')}</th>
              <th scope="col">{box === 'inbox' ? t('msg.state') : t('msg.states')}</th>
              <th scope="col">{box === 'inbox' ? t('msg.received') : t('msg.sent_at')}</th>
            </tr>
          </thead>
          <tbody>
            {page.items.map((m) => {
              const mine = m.recipients.find((r) => r.org === me);
              const late = box === 'inbox' ? !!mine && !!pending(mine, m.needs_response) && isLate(pending(mine, m.needs_response)!.due) : m.recipients.some((r) => pending(r, m.needs_response) && isLate(pending(r, m.needs_response)!.due));
              const s = summaries[m.id];
              return (
                <tr key={m.id} class={late ? 'row-late' : undefined}>
                  <td>
                    <UrgencyBadge tx={tx} urgency={m.urgency} />
                  </td>
                  <td>
                    <a href={`#/messages/${m.id}`}>{label(tx, 'kind', m.kind)}</a>
                  </td>
                  <td>{s ? <span lang={s.lang} dir="auto">{s.text}</span> : <span class="muted">…</span>}</td>
                  <td>
                    {box === 'inbox' ? (
                      <OrgName id={m.author_org} />
                    ) : (
                      <ul class="plain">
                        {m.recipients.map((r) => (
                          <li key={r.org}>
                            <OrgName id={r.org} />
                          </li>
                        ))}
                      </ul>
                    )}
                  </td>
                  <td>
                    {box === 'inbox' && mine ? (
                      <>
                        <StateBadge tx={tx} state={mine.state} />
                        <br />
                        <small>
                          <Deadline r={mine} needsResponse={m.needs_response} />
                        </small>
                      </>
                    ) : (
                      <ul class="plain">
                        {m.recipients.map((r) => (
                          <li key={r.org}>
                            <StateBadge tx={tx} state={r.state} />{' '}
                            <small>
                              <Deadline r={r} needsResponse={m.needs_response} />
                            </small>
                          </li>
                        ))}
                      </ul>
                    )}
                  </td>
                  <td>{formatDate(m.created)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {page?.next && (
        <button type="button" class="secondary more" onClick={more} disabled={busy}>
          {t('common.more')}
        </button>
      )}
    </section>
  );
}

// ---- thread -------------------------------------------------------------------

// The envelope that records a timeline entry: a response's "responded" entry
// is recorded by the response message itself.
export function envelopeOf(e: TimelineEvent): string {
  return e.action === 'responded' ? e.id.replace(/\/responded$/, '') : e.id;
}

function useOwnPoc(id: string | undefined): Poc | null {
  const [poc, setPoc] = useState<Poc | null>(null);
  useEffect(() => {
    if (id) api<Poc>('GET', `/api/v1/pocs/${encodeURIComponent(id)}`).then(setPoc, () => setPoc(null));
  }, [id]);
  return poc;
}

function PocRef({ id }: { id: string }) {
  const poc = useOwnPoc(id);
  if (!poc) return <code dir="ltr">{id.slice(0, 8)}</code>;
  return (
    <span>
      <bdi>{poc.name || poc.function_title}</bdi>
      {poc.name && <span class="muted"> · <bdi>{poc.function_title}</bdi></span>}
      {(poc.channels ?? []).map((c) => (
        <span class="muted">
          {' · '}
          {t(`channel.${c.type}`)} <bdi dir="ltr">{c.value}</bdi>
        </span>
      ))}
    </span>
  );
}

// A STIX bundle of the message, offered as a download.
function Annex({ bundle }: { bundle: any }) {
  const n = Array.isArray(bundle?.objects) ? bundle.objects.length : 0;
  return (
    <span>
      {t('msg.annex_objects', { n: String(n) })}{' '}
      <button
        type="button"
        class="secondary small"
        onClick={() => {
          const a = document.createElement('a');
          a.href = URL.createObjectURL(new Blob([JSON.stringify(bundle, null, 2)], { type: 'application/json' }));
          a.download = `${String(bundle?.id ?? 'bundle').replace(/[^a-z0-9-]/gi, '_')}.json`;
          a.click();
          setTimeout(() => URL.revokeObjectURL(a.href), 10000);
        }}
      >
        {t('msg.download')}
      </button>
    </span>
  );
}

// The fields of a message in its template's order, labelled in the reader's
// language; free text as written, tagged with the message's language.
function Fields({ m, tx, session }: { m: OpenedMessage; tx: Templates; session: Session }) {
  const tpl = tx.templates.find((x) => x.kind === m.kind && x.version === m.version) ?? tx.templates.find((x) => x.kind === m.kind);
  const names = tpl ? tpl.fields.map((f) => f.name) : Object.keys(m.fields);
  const typeOf = (n: string) => tpl?.fields.find((f) => f.name === n)?.type;
  const rows = names.filter((n) => n !== 'summary' && m.fields[n] !== undefined);
  const value = (n: string) => {
    const v = m.fields[n];
    switch (typeOf(n)) {
      case 'choice':
        return label(tx, tpl!.fields.find((f) => f.name === n)!.vocabulary ?? n, v);
      case 'rsit':
        return (
          <>
            {label(tx, 'rsit_class', v.class)} — {label(tx, 'rsit_type', v.type)}
          </>
        );
      case 'sectors':
        return (v as string[]).map((s) => sectorName(s, session.ref.sectors.find((x) => x.code === s)?.name)).join(', ');
      case 'countries':
        return (v as string[]).map((c) => countryName(c)).join(', ');
      case 'time_window':
        return (
          <>
            {label(tx, 'field', 'window.start')} {formatDate(v.start)}
            {v.end && (
              <>
                {' — '}
                {label(tx, 'field', 'window.end')} {formatDate(v.end)}
              </>
            )}
          </>
        );
      case 'stix_bundle':
        return <Annex bundle={v} />;
      case 'poc':
        return <PocRef id={v} />;
      default:
        return (
          <div class="free-text" lang={m.language} dir="auto">
            {String(v)}
          </div>
        );
    }
  };
  return (
    <dl class="facts message-fields">
      {rows.map((n) => (
        <>
          <dt>{label(tx, 'field', n)}</dt>
          <dd>{value(n)}</dd>
        </>
      ))}
    </dl>
  );
}

function MessageCard({ m, tx, session, current }: { m: OpenedMessage; tx: Templates; session: Session; current: boolean }) {
  const [v, run] = useVerify(m.id);
  return (
    <article class={`card message${current ? ' current' : ''}`} id={`m-${m.id}`} aria-labelledby={`m-${m.id}-title`}>
      <header class="message-head">
        <h2 id={`m-${m.id}-title`}>
          {label(tx, 'kind', m.kind)} <UrgencyBadge tx={tx} urgency={m.urgency} />
        </h2>
        <p class="summary" lang={m.language} dir="auto">
          {String(m.fields.summary ?? '')}
        </p>
        <dl class="facts compact">
          <dt>{t('msg.from')}</dt>
          <dd>
            <OrgName id={m.author_org} />
          </dd>
          <dt>{t('msg.to')}</dt>
          <dd>
            {m.recipients.map((r, i) => (
              <>
                {i > 0 && ', '}
                <OrgName id={r.org} />
              </>
            ))}
          </dd>
          <dt>{t('msg.sent_at')}</dt>
          <dd>{formatDate(m.created)}</dd>
          <dt>{label(tx, 'field', 'tlp')}</dt>
          <dd>
            <span class={`badge tlp tlp-${m.tlp.replace('+', '-')}`}>{label(tx, 'tlp', m.tlp)}</span> <small class="muted">{label(tx, 'tlp_help', m.tlp)}</small>
          </dd>
          {m.pap && (
            <>
              <dt>{label(tx, 'field', 'pap')}</dt>
              <dd>
                {label(tx, 'pap', m.pap)} <small class="muted">{label(tx, 'pap_help', m.pap)}</small>
              </dd>
            </>
          )}
          <dt>{label(tx, 'field', 'language')}</dt>
          <dd>{languageName(m.language)}</dd>
          {m.to_pocs.length > 0 && (
            <>
              <dt>{t('compose.to_pocs')}</dt>
              <dd>
                {m.to_pocs.map((p, i) => (
                  <>
                    {i > 0 && '; '}
                    <PocRef id={p} />
                  </>
                ))}
              </dd>
            </>
          )}
        </dl>
      </header>
      <Fields m={m} tx={tx} session={session} />
      <div class="actions">
        <VerifyButton run={run} busy={!!v && 'busy' in v} label={t('verify.message_label', { kind: label(tx, 'kind', m.kind) })} />
      </div>
      <VerifyResult state={v} />
    </article>
  );
}

function TimelineRow({ e, tx, kinds }: { e: TimelineEvent; tx: Templates; kinds: Record<string, string> }) {
  const [v, run] = useVerify(envelopeOf(e));
  const what = label(tx, 'action', e.action) + (e.stage ? ` (${t(`msg.stage.${e.stage}`)})` : '') + (e.action === 'sent' && kinds[e.message] ? ` — ${label(tx, 'kind', kinds[e.message])}` : '');
  return (
    <>
      <tr>
        <td>{formatDate(e.at)}</td>
        <td>
          <OrgName id={e.actor_org} />
        </td>
        <td>{what}</td>
        <td>{e.org ? <OrgName id={e.org} /> : <span class="muted">{t('msg.all_recipients')}</span>}</td>
        <td>
          <VerifyButton run={run} busy={!!v && 'busy' in v} label={t('verify.entry_label', { what, when: formatDate(e.at) })} />
        </td>
      </tr>
      {v && (
        <tr class="verify-row">
          <td colSpan={5}>
            <VerifyResult state={v} />
          </td>
        </tr>
      )}
    </>
  );
}

type Done = 'acknowledged' | 'declined' | 'closed' | 'responded' | 'sent' | null;

export function Thread({ session, id, params }: { session: Session; id: string; params: Record<string, string> }) {
  const tx = useTemplates();
  const [message, setMessage] = useState<OpenedMessage | null>(null);
  const [others, setOthers] = useState<OpenedMessage[]>([]);
  const [events, setEvents] = useState<TimelineEvent[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [actionError, setActionError] = useState<unknown>(null);
  const [done, setDone] = useState<Done>(params.sent ? 'sent' : null);
  const [responding, setResponding] = useState(false);
  const [busy, setBusy] = useState(false);
  const status = useRef<HTMLDivElement>(null);
  const load = async () => {
    try {
      // The header (states, deadlines) changes; the content does not.
      const [meta, timeline] = await Promise.all([api<MessageSummary>('GET', `/api/v1/messages/${encodeURIComponent(id)}`), api<{ items: TimelineEvent[] }>('GET', `/api/v1/messages/${encodeURIComponent(id)}/timeline`)]);
      const body = await openMessage(id);
      setMessage({ ...body, ...meta });
      setEvents(timeline.items);
      const ids = threadMessages(timeline.items).filter((x) => x !== id);
      const rest = await Promise.all(ids.map((x) => openMessage(x).catch(() => null)));
      setOthers(rest.filter((x): x is OpenedMessage => x !== null));
      setError(null);
    } catch (e) {
      setError(e);
    }
  };
  useEffect(() => {
    setMessage(null);
    load();
    // "Sent" is said once: not again when coming back to this address.
    if (params.sent) history.replaceState(history.state, '', `#/messages/${id}`);
    return poll(load);
  }, [id]);
  useEffect(() => {
    if (done) status.current?.focus();
  }, [done]);
  if (error !== null && !message) return <Alert>{errorText(error)}</Alert>;
  if (!message || !tx) return <p>{t('common.loading')}</p>;
  const me = session.user.org;
  const mine = message.recipients.find((r) => r.org === me);
  const author = message.author_org === me;
  const open = (r: RecipientState) => r.state !== 'closed' && r.state !== 'declined';
  const act = async (what: 'ack' | 'decline' | 'close', body?: unknown, result: Done = what === 'ack' ? 'acknowledged' : what === 'decline' ? 'declined' : 'closed') => {
    setBusy(true);
    setActionError(null);
    setDone(null);
    try {
      await api('POST', `/api/v1/messages/${encodeURIComponent(id)}/${what}`, body);
      await load();
      setDone(result);
    } catch (e) {
      setActionError(e);
    } finally {
      setBusy(false);
    }
  };
  const may = canAct(session);
  const kinds: Record<string, string> = Object.fromEntries([message, ...others].map((m) => [m.id, m.kind]));
  const thread = [message, ...others].sort((a, b) => a.created.localeCompare(b.created));
  return (
    <article>
      <p class="crumbs">
        <a href={author ? '#/messages?box=sent' : '#/messages'}>{author ? t('msg.sent') : t('msg.inbox')}</a>
      </p>
      <h1>
        {label(tx, 'kind', message.kind)}
        <span class="subtitle">
          {' — '}
          <OrgLabel id={message.author_org} />
        </span>
      </h1>
      <div ref={status} tabIndex={-1} class="status-anchor">
        {done && <Alert kind="ok">{t(`msg.done.${done}`)}</Alert>}
      </div>
      {actionError !== null && <Alert>{errorText(actionError)}</Alert>}
      {may && (mine || author) && (
        <div class="actions thread-actions" role="group" aria-label={t('msg.actions')}>
          {mine && open(mine) && !mine.acknowledged && mine.state !== 'responded' && (
            <button type="button" disabled={busy} onClick={() => act('ack')}>
              {t('msg.acknowledge')}
            </button>
          )}
          {((mine && open(mine)) || (author && message.recipients.some(open))) && !responding && (
            <button type="button" class="secondary" disabled={busy} onClick={() => setResponding(true)}>
              {t('msg.respond')}
            </button>
          )}
          {mine && open(mine) && mine.state !== 'responded' && (
            <button type="button" class="danger" disabled={busy} onClick={() => confirm(t('msg.decline_confirm')) && act('decline')}>
              {t('msg.decline')}
            </button>
          )}
          {((mine && open(mine)) || (author && message.recipients.some(open))) && (
            <button type="button" class="secondary" disabled={busy} onClick={() => confirm(t('msg.close_confirm')) && act('close', {})}>
              {author ? t('msg.close_all') : t('msg.close')}
            </button>
          )}
        </div>
      )}
      {responding && (
        <RespondForm
          session={session}
          message={message}
          onDone={async (sent) => {
            setResponding(false);
            if (sent) {
              await load();
              setDone('responded');
            }
          }}
        />
      )}

      <h2>{t('msg.recipients')}</h2>
      <table class="list">
        <caption class="visually-hidden">{t('msg.recipients')}</caption>
        <thead>
          <tr>
            <th scope="col">{t('poc.org')}</th>
            <th scope="col">{t('msg.state')}</th>
            <th scope="col">{t('msg.deadline')}</th>
            <th scope="col">{t('msg.acknowledged_at')}</th>
            {author && may && (
              <th scope="col">
                <span class="visually-hidden">{t('msg.actions')}</span>
              </th>
            )}
          </tr>
        </thead>
        <tbody>
          {message.recipients.map((r) => (
            <tr key={r.org}>
              <td>
                <OrgName id={r.org} />
              </td>
              <td>
                <StateBadge tx={tx} state={r.state} />
                {r.escalated && r.state !== 'escalated' && (
                  <>
                    {' '}
                    <StateBadge tx={tx} state="escalated" />
                  </>
                )}
              </td>
              <td>
                <Deadline r={r} needsResponse={message.needs_response} />
              </td>
              <td>{r.acknowledged ? formatDate(r.acknowledged) : '—'}</td>
              {author && may && (
                <td>
                  {open(r) && message.recipients.length > 1 && <CloseFor org={r.org} busy={busy} onClose={() => act('close', { org: r.org })} />}
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>

      <h2>{t('msg.thread')}</h2>
      {thread.map((m) => (
        <MessageCard key={m.id} m={m} tx={tx} session={session} current={m.id === id} />
      ))}

      <h2>{t('msg.timeline')}</h2>
      <p class="muted">{t('msg.timeline_help')}</p>
      <table class="list timeline">
        <caption class="visually-hidden">{t('msg.timeline')}</caption>
        <thead>
          <tr>
            <th scope="col">{t('audit.when')}</th>
            <th scope="col">{t('msg.by')}</th>
            <th scope="col">{t('msg.event')}</th>
            <th scope="col">{t('msg.concerning')}</th>
            <th scope="col">
              <span class="visually-hidden">{t('verify.button')}</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {events.map((e) => (
            <TimelineRow key={e.id} e={e} tx={tx} kinds={kinds} />
          ))}
        </tbody>
      </table>
    </article>
  );
}

function CloseFor({ org, busy, onClose }: { org: string; busy: boolean; onClose: () => void }) {
  const [name, setName] = useState(org.slice(0, 8));
  useEffect(() => {
    getOrg(org).then((o) => setName(o.names[lang()] ?? o.names.en ?? Object.values(o.names)[0] ?? name), () => {});
  }, [org]);
  return (
    <button type="button" class="secondary small" disabled={busy} aria-label={t('msg.close_for', { name })} onClick={() => confirm(t('msg.close_confirm')) && onClose()}>
      {t('msg.close')}
    </button>
  );
}
