// The intelligence browser (docs/intel.md), loaded lazily: search and filter
// the STIX objects the user's organisation may read (the node applies the
// read rule; nothing else ever reaches the browser), one object with its
// versions and relationships, and the import of a bundle with the fate of
// each object.
import { useEffect, useState } from 'preact/hooks';
import { ApiError, api, csrfToken, query } from '../api';
import { formatDate, formatNumber, t } from '../i18n';
import { go } from '../router';
import { OrgName } from '../orgname';
import { Alert, Field, Select, errorText } from '../ui';
import type { Session } from '../app';
import { TLPS, Tlp, type Community } from './communities';

interface Summary {
  id: string;
  type: string;
  version: string;
  tlp: string | null;
  community: string | null;
  owner_org: string;
  revoked: boolean;
  latest: boolean;
  added_at: number;
  name?: string;
  pattern?: string;
  value?: string;
  labels?: string[];
  relationship_type?: string;
  source_ref?: string;
  target_ref?: string;
  other?: { id: string; type: string; name?: string };
}
interface Detail extends Summary {
  object: Record<string, unknown>;
  versions: { version: string; latest: boolean; revoked: boolean; tlp: string | null; added_at: number }[];
  relationships: { outgoing: Summary[]; incoming: Summary[] };
}
interface Outcome {
  index: number;
  id: string;
  version: string;
  fate: 'added' | 'unchanged' | 'ignored_older' | 'rejected';
  path?: string;
  reason?: string;
}
interface Report {
  bundle_id: string;
  stored: boolean;
  total: number;
  added: number;
  unchanged: number;
  ignored_older: number;
  rejected: number;
  objects: Outcome[];
}

const TYPES = ['indicator', 'malware', 'threat-actor', 'intrusion-set', 'campaign', 'attack-pattern', 'tool', 'vulnerability', 'identity', 'infrastructure', 'observed-data', 'report', 'relationship', 'sighting'];

export function Intel({ session, path, params }: { session: Session; path: string[]; params: Record<string, string> }) {
  if (path[1] === 'import') return <Import session={session} />;
  if (path[1]) return <ObjectView id={path[1]} key={path[1]} session={session} />;
  return <Search params={params} />;
}

function Search({ params }: { params: Record<string, string> }) {
  const [f, setF] = useState({ q: params.q ?? '', type: params.type ?? '', tlp: params.tlp ?? '', label: params.label ?? '' });
  const [items, setItems] = useState<Summary[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const load = async (after?: string) => {
    setError(null);
    try {
      const r = await api<{ items: Summary[]; next: string | null }>('GET', '/api/v1/intel/objects' + query({ ...params, after }));
      setItems(after ? [...(items ?? []), ...r.items] : r.items);
      setNext(r.next);
    } catch (e) {
      setError(e);
    }
  };
  useEffect(() => {
    load();
  }, [JSON.stringify(params)]);
  const set = (k: keyof typeof f) => (v: string) => setF({ ...f, [k]: v });
  return (
    <section>
      <h1>{t('intel.title')}</h1>
      <p>
        {t('intel.intro')} <a href="#/intel/import">{t('intel.import')}</a>
      </p>
      <form
        class="search panel"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          go('/intel' + query(f));
        }}
      >
        <Field label={t('intel.q')} name="q" value={f.q} onInput={set('q')} error={error} maxLength={200} />
        <Select label={t('intel.type')} name="type" value={f.type} onChange={set('type')} any options={TYPES.map((x) => ({ value: x, label: x }))} error={error} />
        <Select
          label={t('intel.tlp')}
          name="tlp"
          value={f.tlp}
          onChange={set('tlp')}
          any
          options={[...TLPS.map((x) => ({ value: x, label: `TLP:${x.toUpperCase()}` })), { value: 'none', label: t('intel.tlp_none') }]}
          error={error}
        />
        <Field label={t('intel.label')} name="label" value={f.label} onInput={set('label')} error={error} maxLength={200} />
        <button type="submit">{t('intel.search')}</button>
      </form>
      {error && <Alert>{errorText(error)}</Alert>}
      {items === null && !error && <p>{t('common.loading')}</p>}
      {items && items.length === 0 && <p>{t('intel.none')}</p>}
      {items && items.length > 0 && (
        <table id="intel-results">
          <caption class="visually-hidden">{t('intel.results')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('intel.object')}</th>
              <th scope="col">{t('intel.type')}</th>
              <th scope="col">{t('intel.tlp')}</th>
              <th scope="col">{t('intel.labels')}</th>
              <th scope="col">{t('intel.owner')}</th>
            </tr>
          </thead>
          <tbody>
            {items.map((o) => (
              <tr class={o.revoked ? 'revoked' : undefined}>
                <th scope="row">
                  <a href={`#/intel/${o.id}`} dir="auto">
                    {o.name ?? o.value ?? o.id}
                  </a>
                  {o.revoked && <span class="badge">{t('intel.revoked')}</span>}
                </th>
                <td>{o.type}</td>
                <td>
                  <Tlp tlp={o.tlp} />
                </td>
                <td dir="auto">{(o.labels ?? []).join(', ')}</td>
                <td>
                  <OrgName id={o.owner_org} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {next && (
        <button type="button" onClick={() => load(next)}>
          {t('intel.more')}
        </button>
      )}
    </section>
  );
}

function RelationshipList({ title, items, direction }: { title: string; items: Summary[]; direction: 'outgoing' | 'incoming' }) {
  return (
    <>
      <h3>{title}</h3>
      {items.length === 0 ? (
        <p>{t('intel.no_relationships')}</p>
      ) : (
        <ul>
          {items.map((r) => {
            const other = direction === 'outgoing' ? r.target_ref : r.source_ref;
            return (
              <li>
                <a href={`#/intel/${r.id}`}>{r.relationship_type}</a>{' '}
                {r.other ? (
                  <a href={`#/intel/${r.other.id}`} dir="auto">
                    {r.other.name ?? r.other.id}
                  </a>
                ) : (
                  <span class="muted">{other}</span>
                )}
              </li>
            );
          })}
        </ul>
      )}
    </>
  );
}

function ObjectView({ id, session }: { id: string; session: Session }) {
  const [d, setD] = useState<Detail | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    api<Detail>('GET', `/api/v1/intel/objects/${encodeURIComponent(id)}`).then(setD, setError);
  }, [id]);
  if (!d) return error ? <Alert>{errorText(error)}</Alert> : <p>{t('common.loading')}</p>;
  return (
    <section>
      <p>
        <a href="#/intel">{t('intel.back')}</a>
      </p>
      <h1 dir="auto">{d.name ?? d.id}</h1>
      {d.revoked && <Alert kind="info">{t('intel.revoked_note')}</Alert>}
      <dl class="facts">
        <dt>{t('intel.id')}</dt>
        <dd>
          <code>{d.id}</code>
        </dd>
        <dt>{t('intel.type')}</dt>
        <dd>{d.type}</dd>
        <dt>{t('intel.tlp')}</dt>
        <dd>
          <Tlp tlp={d.tlp} />
        </dd>
        <dt>{t('intel.community')}</dt>
        <dd>{d.community ? <a href={`#/communities/${d.community}`}>{t('intel.community_link')}</a> : t('intel.no_community')}</dd>
        <dt>{t('intel.owner')}</dt>
        <dd>
          <OrgName id={d.owner_org} />
        </dd>
        {d.pattern && (
          <>
            <dt>{t('intel.pattern')}</dt>
            <dd>
              <code dir="ltr">{d.pattern}</code>
            </dd>
          </>
        )}
      </dl>
      <h2>{t('intel.relationships')}</h2>
      <RelationshipList title={t('intel.outgoing')} items={d.relationships.outgoing} direction="outgoing" />
      <RelationshipList title={t('intel.incoming')} items={d.relationships.incoming} direction="incoming" />
      <Sightings id={d.id} type={d.type} session={session} />
      <Correlations id={d.id} />
      <h2>{t('intel.versions')}</h2>
      <table id="intel-versions">
        <thead>
          <tr>
            <th scope="col">{t('intel.version')}</th>
            <th scope="col">{t('intel.tlp')}</th>
            <th scope="col">{t('intel.added')}</th>
          </tr>
        </thead>
        <tbody>
          {d.versions.map((v) => (
            <tr>
              <th scope="row">
                {v.version || '—'} {v.latest && <span class="badge">{t('intel.latest')}</span>}
                {v.revoked && <span class="badge">{t('intel.revoked')}</span>}
              </th>
              <td>
                <Tlp tlp={v.tlp} />
              </td>
              <td>{formatDate(new Date(v.added_at).toISOString())}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>{t('intel.content')}</h2>
      <pre class="json" dir="ltr" tabIndex={0}>
        {JSON.stringify(d.object, null, 2)}
      </pre>
    </section>
  );
}

interface SightingItem {
  id: string;
  reporter_org: string | null;
  created_by_ref: string | null;
  community_id: string | null;
  tlp: string | null;
  count: number;
  first_seen: string | null;
  last_seen: string | null;
  where_location: string | null;
  observed_by: string | null;
}
interface SightingList {
  items: SightingItem[];
  sightings: number;
  total_count: number;
  first_seen: string | null;
  last_seen: string | null;
}
interface Correlation {
  kind: string;
  value: string;
  count: number;
  count_capped: boolean;
  matches: { id: string; type: string; name?: string; value: string; relation: 'same' | 'within' | 'contains'; owner_org: string | null; tlp: string | null }[];
}

// The sightings of an indicator (GET /api/v1/intel/objects/{id}/sightings):
// the node lists only those the user's organisation may read (the
// reporter's distribution), and the totals count only those.
function Sightings({ id, type, session }: { id: string; type: string; session: Session }) {
  const [list, setList] = useState<SightingList | null>(null);
  const [error, setError] = useState<unknown>(null);
  const load = () => api<SightingList>('GET', `/api/v1/intel/objects/${encodeURIComponent(id)}/sightings`).then(setList, setError);
  useEffect(() => {
    if (type === 'indicator') load();
  }, [id, type]);
  if (type !== 'indicator') return null;
  return (
    <section aria-labelledby="intel-sightings-title">
      <h2 id="intel-sightings-title">{t('intel.sightings')}</h2>
      {error ? <Alert>{errorText(error)}</Alert> : null}
      {!list && !error && <p>{t('common.loading')}</p>}
      {list && list.sightings === 0 && <p>{t('intel.no_sightings')}</p>}
      {list && list.sightings > 0 && (
        <>
          <p id="intel-sightings-summary">
            {t('intel.sightings_summary', {
              sightings: formatNumber(list.sightings),
              count: formatNumber(list.total_count),
              first: list.first_seen ? formatDate(list.first_seen) : '—',
              last: list.last_seen ? formatDate(list.last_seen) : '—',
            })}
          </p>
          <table id="intel-sightings">
            <caption class="visually-hidden">{t('intel.sightings')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('intel.reporter')}</th>
                <th scope="col">{t('intel.count')}</th>
                <th scope="col">{t('intel.first_seen')}</th>
                <th scope="col">{t('intel.last_seen')}</th>
                <th scope="col">{t('intel.where')}</th>
                <th scope="col">{t('intel.tlp')}</th>
              </tr>
            </thead>
            <tbody>
              {list.items.map((s) => (
                <tr>
                  <th scope="row">{s.reporter_org ? <OrgName id={s.reporter_org} /> : <code>{s.created_by_ref ?? '—'}</code>}</th>
                  <td>{formatNumber(s.count)}</td>
                  <td>{s.first_seen ? formatDate(s.first_seen) : '—'}</td>
                  <td>{s.last_seen ? formatDate(s.last_seen) : '—'}</td>
                  <td dir="auto">{[s.where_location, s.observed_by].filter(Boolean).join(' · ') || '—'}</td>
                  <td>
                    <Tlp tlp={s.tlp} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      {session.user.role !== 'viewer' && <ReportSighting id={id} onDone={load} />}
    </section>
  );
}

// Reporting that the user's organisation saw the indicator (POST
// /api/v1/intel/sightings): shared in a community or kept to itself, under
// a TLP; reporting again the same day merges (docs/intel.md).
function ReportSighting({ id, onDone }: { id: string; onDone: () => void }) {
  const now = new Date().toISOString().slice(0, 16);
  const [f, setF] = useState({ count: '1', first: now, last: now, where: '', community: '', tlp: 'amber' });
  const [communities, setCommunities] = useState<Community[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState(false);
  useEffect(() => {
    api<{ items: Community[] }>('GET', '/api/v1/communities').then(
      (r) => setCommunities(r.items.filter((c) => c.my_status === 'active')),
      () => setCommunities([]),
    );
  }, []);
  const set = (k: keyof typeof f) => (v: string) => setF({ ...f, [k]: v });
  const iso = (v: string) => (v && !Number.isNaN(Date.parse(v + 'Z')) ? new Date(v + 'Z').toISOString() : v);
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    setDone(false);
    try {
      const one: Record<string, unknown> = { indicator_id: id, count: Number(f.count), first_seen: iso(f.first), last_seen: iso(f.last), tlp: f.tlp };
      if (f.where.trim()) one.where_location = f.where.trim();
      if (f.community) one.community_id = f.community;
      await api('POST', '/api/v1/intel/sightings', { sightings: [one] });
      setDone(true);
      onDone();
    } catch (err) {
      setError(err);
    }
  };
  const p = (k: string) => `sightings/0/${k}`;
  return (
    <form class="panel" aria-labelledby="intel-report-sighting" onSubmit={submit}>
      <h3 id="intel-report-sighting">{t('intel.report_sighting')}</h3>
      <Field label={t('intel.count')} name="sighting-count" type="number" min="1" value={f.count} onInput={set('count')} error={error} paths={p('count')} required />
      <Field label={t('intel.first_seen_utc')} name="sighting-first" type="datetime-local" value={f.first} onInput={set('first')} error={error} paths={p('first_seen')} required />
      <Field label={t('intel.last_seen_utc')} name="sighting-last" type="datetime-local" value={f.last} onInput={set('last')} error={error} paths={p('last_seen')} required />
      <Field label={t('intel.where')} name="sighting-where" value={f.where} onInput={set('where')} error={error} paths={p('where_location')} maxLength={200} />
      <Select
        label={t('intel.share_in')}
        name="sighting-community"
        value={f.community}
        onChange={set('community')}
        empty={t('intel.no_community')}
        error={error}
        paths={p('community_id')}
        options={communities.map((c) => ({ value: c.id, label: `${c.charter.name} (≤ TLP:${c.charter.max_tlp.toUpperCase()})` }))}
      />
      <Select label={t('intel.tlp')} name="sighting-tlp" value={f.tlp} onChange={set('tlp')} error={error} paths={p('tlp')} options={TLPS.map((x) => ({ value: x, label: `TLP:${x.toUpperCase()}` }))} />
      <button type="submit">{t('intel.report_sighting')}</button>
      {done && <Alert kind="ok">{t('intel.sighting_recorded')}</Alert>}
      {error ? <Alert>{errorText(error)}</Alert> : null}
    </form>
  );
}

// The correlations of an object (GET /api/v1/intel/objects/{id}/correlations):
// for each observable of the object, the other objects the user may read
// that name it (same), fall inside it or contain it (CIDR, domain).
function Correlations({ id }: { id: string }) {
  const [groups, setGroups] = useState<Correlation[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    api<{ items: Correlation[] }>('GET', `/api/v1/intel/objects/${encodeURIComponent(id)}/correlations`).then((r) => setGroups(r.items), setError);
  }, [id]);
  const linked = groups?.filter((g) => g.matches.length > 0) ?? [];
  return (
    <section aria-labelledby="intel-correlations-title">
      <h2 id="intel-correlations-title">{t('intel.correlations')}</h2>
      {error ? <Alert>{errorText(error)}</Alert> : null}
      {!groups && !error && <p>{t('common.loading')}</p>}
      {groups && linked.length === 0 && <p>{t('intel.no_correlations')}</p>}
      {linked.map((g) => (
        <div class="correlation">
          <h3>
            <span class="badge">{g.kind}</span> <code dir="ltr">{g.value}</code>{' '}
            <span class="muted">{t(g.count_capped ? 'intel.correlated_capped' : 'intel.correlated_count', { count: formatNumber(g.count) })}</span>
          </h3>
          <ul>
            {g.matches.map((m) => (
              <li>
                <a href={`#/intel/${m.id}`} dir="auto">
                  {m.name ?? m.id}
                </a>{' '}
                <span class="muted">{m.type}</span> · {t(`intel.relation_${m.relation}`)} <code dir="ltr">{m.value}</code> · <Tlp tlp={m.tlp} />
                {m.owner_org && (
                  <>
                    {' '}
                    · <OrgName id={m.owner_org} />
                  </>
                )}
              </li>
            ))}
          </ul>
        </div>
      ))}
    </section>
  );
}

function Import({ session }: { session: Session }) {
  const [text, setText] = useState('');
  const [community, setCommunity] = useState('');
  const [partial, setPartial] = useState(false);
  const [communities, setCommunities] = useState<Community[]>([]);
  const [report, setReport] = useState<Report | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    api<{ items: Community[] }>('GET', '/api/v1/communities').then(
      (r) => setCommunities(r.items.filter((c) => c.my_status === 'active')),
      () => setCommunities([]),
    );
  }, []);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setReport(null);
    try {
      // The bundle goes as it is: the node reports each object's fate.
      const res = await fetch('/api/v1/intel/bundles' + query({ community, partial: partial ? 'true' : undefined }), {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'X-CSRF-Token': csrfToken() },
        body: text,
      });
      const data = await res.json().catch(() => ({}));
      if (res.ok) setReport(data as Report);
      else if (data.report) {
        setReport(data.report as Report);
        setError(new ApiError({ status: res.status, detail: data.detail, type: data.type }));
      } else setError(new ApiError({ status: res.status, detail: data.detail ?? res.statusText, field: data.field, type: data.type }));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const readFile = async (input: HTMLInputElement) => {
    const file = input.files?.[0];
    if (file) setText(await file.text());
  };
  return (
    <section>
      <p>
        <a href="#/intel">{t('intel.back')}</a>
      </p>
      <h1>{t('intel.import_title')}</h1>
      <p>{t('intel.import_intro')}</p>
      <form onSubmit={submit} class="panel">
        <div class="field">
          <label for="intel-file">{t('intel.file')}</label>
          <input id="intel-file" type="file" accept=".json,application/json" onChange={(e) => readFile(e.target as HTMLInputElement)} />
        </div>
        <div class="field">
          <label for="intel-text">{t('intel.bundle')}</label>
          <textarea id="intel-text" rows={10} dir="ltr" value={text} onInput={(e) => setText((e.target as HTMLTextAreaElement).value)} />
        </div>
        <Select
          label={t('intel.share_in')}
          name="community"
          value={community}
          onChange={setCommunity}
          empty={t('intel.no_community')}
          options={communities.map((c) => ({ value: c.id, label: `${c.charter.name} (≤ TLP:${c.charter.max_tlp.toUpperCase()})` }))}
        />
        <label class="check">
          <input type="checkbox" checked={partial} onChange={(e) => setPartial((e.target as HTMLInputElement).checked)} /> {t('intel.partial')}
        </label>
        <button type="submit" disabled={busy || !text.trim() || session.user.role === 'viewer'}>
          {t('intel.import')}
        </button>
      </form>
      {error && <Alert>{errorText(error)}</Alert>}
      {report && (
        <>
          <Alert kind={report.stored ? 'ok' : 'error'}>
            {report.stored
              ? t('intel.report_stored', { added: String(report.added), unchanged: String(report.unchanged), rejected: String(report.rejected), total: String(report.total) })
              : t('intel.report_rejected', { rejected: String(report.rejected), total: String(report.total) })}
          </Alert>
          <table id="intel-report">
            <caption>{t('intel.report')}</caption>
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">{t('intel.id')}</th>
                <th scope="col">{t('intel.fate')}</th>
                <th scope="col">{t('intel.reason')}</th>
              </tr>
            </thead>
            <tbody>
              {report.objects.map((o) => (
                <tr class={o.fate === 'rejected' ? 'rejected' : undefined}>
                  <td>{o.index}</td>
                  <th scope="row">
                    <code>{o.id || '—'}</code>
                  </th>
                  <td>{t(`intel.fate_${o.fate}`)}</td>
                  <td>
                    {o.path && <code dir="ltr">{o.path}</code>} {o.reason}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
