import { useEffect, useState } from 'preact/hooks';
import { api, type Org, type Page, type Poc } from '../api';
import type { Session } from '../app';
import { countryName, countryOptions, formatDate, languageName, nameLang, pickName, sectorGroups, sectorName, t } from '../i18n';
import { OrgName } from '../orgname';
import { canAct } from '../comms';
import { go } from '../router';
import { Alert, errorText, Field, Fingerprint, GroupError, Select } from '../ui';

interface AuditItem {
  seq: number;
  action: string;
  author_org: string;
  actor_user: string | null;
  at: string;
  changed: string[];
}

const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const CHANNELS = ['email', 'phone', 'platform'];
const list = (s: string) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);

function canWritePocs(s: Session, org: string) {
  return s.user.operator || (s.user.org === org && (s.user.role === 'officer' || s.user.role === 'admin'));
}
function canWriteOrg(s: Session, org: string) {
  return s.user.operator || (s.user.org === org && s.user.role === 'admin');
}

export function OrgPage({ session, id }: { session: Session; id: string }) {
  const [org, setOrg] = useState<Org | null>(null);
  const [pocs, setPocs] = useState<Poc[]>([]);
  const [audit, setAudit] = useState<Page<AuditItem>>({ items: [], next: null });
  const [error, setError] = useState<unknown>(null);
  const [editing, setEditing] = useState<'org' | 'new' | string | null>(null);
  const [saved, setSaved] = useState(false);
  const load = async () => {
    try {
      const [o, p, a] = await Promise.all([
        api<Org>('GET', `/api/v1/orgs/${encodeURIComponent(id)}`),
        api<Page<Poc>>('GET', `/api/v1/orgs/${encodeURIComponent(id)}/pocs?limit=200`),
        api<Page<AuditItem>>('GET', `/api/v1/orgs/${encodeURIComponent(id)}/audit?limit=50`),
      ]);
      setOrg(o);
      setPocs(p.items);
      setAudit(a);
    } catch (e) {
      setError(e);
    }
  };
  const moreAudit = async () => {
    try {
      const a = await api<Page<AuditItem>>('GET', `/api/v1/orgs/${encodeURIComponent(id)}/audit?limit=50&cursor=${encodeURIComponent(audit.next!)}`);
      setAudit({ items: [...audit.items, ...a.items], next: a.next });
    } catch (e) {
      setError(e);
    }
  };
  useEffect(() => {
    load();
  }, [id]);
  if (error !== null && !org) return <Alert>{errorText(error)}</Alert>;
  if (!org) return <p>{t('common.loading')}</p>;
  const edit = (what: string) => {
    setSaved(false);
    setEditing(what);
  };
  const done = async (changed: boolean) => {
    setEditing(null);
    setSaved(changed);
    if (changed) await load();
  };
  return (
    <article>
      <p class="crumbs">
        <a href="#/">{t('nav.directory')}</a>
      </p>
      <div class="title-row">
        <h1 dir="auto" lang={nameLang(org.names)}>
          {pickName(org.names)}
        </h1>
        <div class="actions">
          {canAct(session) && org.id !== session.user.org && (
            <a class="button secondary" href={`#/compose?to=${org.id}`}>
              {t('org.write')}
            </a>
          )}
          {canWriteOrg(session, org.id) && editing !== 'org' && (
            <button type="button" class="secondary" onClick={() => edit('org')}>
              {t('org.edit')}
            </button>
          )}
        </div>
      </div>
      {saved && <Alert kind="ok">{t('common.saved')}</Alert>}
      {error !== null && <Alert>{errorText(error)}</Alert>}
      {editing === 'org' && <OrgForm session={session} org={org} onDone={done} />}
      <dl class="facts">
        <dt>{t('org.kind')}</dt>
        <dd>{t(`kind.${org.kind}`)}</dd>
        <dt>{t('org.country')}</dt>
        <dd>{countryName(org.country) || '—'}</dd>
        <dt>{t('org.names')}</dt>
        <dd>
          <ul class="plain">
            {Object.entries(org.names).map(([l, n]) => (
              <li>
                <bdi lang={l}>{n}</bdi> <span class="muted">({languageName(l)})</span>
              </li>
            ))}
          </ul>
        </dd>
        {org.groupings.length > 0 && (
          <>
            <dt>{t('org.groupings')}</dt>
            <dd>{org.groupings.join(', ')}</dd>
          </>
        )}
        {org.sectors.length > 0 && (
          <>
            <dt>{t('org.sectors')}</dt>
            <dd>{org.sectors.map((s) => sectorName(s, session.ref.sectors.find((x) => x.code === s)?.name)).join(', ')}</dd>
          </>
        )}
        {org.website && (
          <>
            <dt>{t('org.website')}</dt>
            <dd dir="ltr">
              <a href={org.website} rel="noopener noreferrer" target="_blank">
                {org.website}
              </a>
            </dd>
          </>
        )}
        {org.iana_id !== undefined && (
          <>
            <dt>{t('dns.iana_id')}</dt>
            <dd dir="ltr">{org.iana_id}</dd>
          </>
        )}
        <dt>{t('org.updated')}</dt>
        <dd>{formatDate(org.updated)}</dd>
      </dl>

      <div class="title-row section">
        <h2>{t('org.contacts')}</h2>
        {canWritePocs(session, org.id) && editing !== 'new' && (
          <button type="button" class="secondary" onClick={() => edit('new')}>
            {t('org.add_contact')}
          </button>
        )}
      </div>
      {editing === 'new' && <PocForm org={org.id} onDone={done} />}
      {pocs.length === 0 && <p class="muted">{t('org.no_contacts')}</p>}
      <ul class="cards">
        {pocs.map((p) =>
          editing === p.id ? (
            <li class="wide-item" key={p.id}>
              <PocForm org={org.id} poc={p} onDone={done} />
            </li>
          ) : (
            <li class="card poc" key={p.id}>
              <PocCard poc={p} canWrite={canWritePocs(session, org.id)} onEdit={() => edit(p.id)} onChanged={() => done(true)} />
            </li>
          ),
        )}
      </ul>

      <h2>{t('org.keys')}</h2>
      <p class="muted">{t('org.keys_help')}</p>
      <dl class="facts">
        <dt>{t('org.fingerprint')}</dt>
        <dd>
          <Fingerprint hex={org.fingerprint} />
        </dd>
        <dt>{t('org.sign_key')}</dt>
        <dd>
          <code dir="ltr">{org.sign_public}</code>
        </dd>
        <dt>{t('org.box_key')}</dt>
        <dd>
          <code dir="ltr">{org.box_public}</code>
        </dd>
        <dt>{t('org.home_node')}</dt>
        <dd>
          <Fingerprint hex={org.home_node} />
        </dd>
      </dl>

      <h2>{t('org.audit')}</h2>
      {audit.items.length === 0 ? (
        <p class="muted">{t('common.none')}</p>
      ) : (
        <table class="list">
          <caption class="visually-hidden">{t('org.audit')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('audit.when')}</th>
              <th scope="col">{t('audit.action')}</th>
              <th scope="col">{t('audit.by')}</th>
              <th scope="col">{t('audit.changed')}</th>
            </tr>
          </thead>
          <tbody>
            {audit.items.map((a) => (
              <tr key={a.seq}>
                <td>{formatDate(a.at)}</td>
                <td>{t(`action.${a.action}`)}</td>
                <td>
                  <OrgName id={a.author_org} />
                </td>
                <td dir="ltr">
                  <code>{a.changed.join(', ')}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {audit.next && (
        <button type="button" class="secondary more" onClick={moreAudit}>
          {t('common.more')}
        </button>
      )}
    </article>
  );
}

function hoursText(poc: Poc): string {
  const h = poc.hours;
  if (h.always) return t('poc.always');
  return `${(h.days ?? []).map((d) => t(`day.${d}`)).join(' ')} ${h.start}–${h.end}`;
}

function PocCard({ poc, canWrite, onEdit, onChanged }: { poc: Poc; canWrite: boolean; onEdit: () => void; onChanged: () => void }) {
  const [error, setError] = useState<unknown>(null);
  return (
    <>
      <h3 dir="auto">{poc.erased ? t('poc.erased') : poc.name || poc.function_title}</h3>
      <p class="muted">
        <bdi>{poc.function_title}</bdi> · {t(`role.${poc.role}`)}
      </p>
      <dl class="facts compact">
        <dt>{t('poc.languages')}</dt>
        <dd>{poc.languages.map(languageName).join(', ')}</dd>
        <dt>{t('poc.hours')}</dt>
        <dd>
          {hoursText(poc)} (<span dir="ltr">{poc.timezone}</span>)
        </dd>
        {!poc.erased &&
          (poc.channels ?? []).map((c) => (
            <>
              <dt>{t(`channel.${c.type}`)}</dt>
              <dd dir="ltr">{c.value}</dd>
            </>
          ))}
      </dl>
      {error !== null && <Alert>{errorText(error)}</Alert>}
      {canWrite && !poc.erased && (
        <div class="actions">
          <button type="button" class="secondary small" onClick={onEdit}>
            {t('common.edit')}
          </button>
          <button
            type="button"
            class="secondary small"
            onClick={async () => {
              try {
                const data = await api('GET', `/api/v1/pocs/${poc.id}/export`);
                const blob = new Blob([JSON.stringify(data, null, 2)], { type: 'application/json' });
                const a = document.createElement('a');
                a.href = URL.createObjectURL(blob);
                a.download = `poc-${poc.id}.json`;
                a.click();
                setTimeout(() => URL.revokeObjectURL(a.href), 10000);
              } catch (e) {
                setError(e);
              }
            }}
          >
            {t('poc.export')}
          </button>
          <button
            type="button"
            class="danger small"
            onClick={async () => {
              if (!confirm(t('poc.erase_confirm'))) return;
              try {
                await api('POST', `/api/v1/pocs/${poc.id}/erase`, {});
                onChanged();
              } catch (e) {
                setError(e);
              }
            }}
          >
            {t('poc.erase')}
          </button>
        </div>
      )}
    </>
  );
}

export function PocForm({ org, poc, onDone }: { org: string; poc?: Poc; onDone: (changed: boolean) => void }) {
  const [f, setF] = useState({
    role: poc?.role ?? 'technical',
    function_title: poc?.function_title ?? '',
    name: poc?.name ?? '',
    languages: (poc?.languages ?? ['en']).join(', '),
    timezone: poc?.timezone ?? 'UTC',
    always: poc?.hours.always ?? false,
    days: poc?.hours.days ?? ['mon', 'tue', 'wed', 'thu', 'fri'],
    start: poc?.hours.start ?? '09:00',
    end: poc?.hours.end ?? '17:00',
  });
  const [channels, setChannels] = useState<{ type: string; value: string }[]>(poc?.channels?.length ? poc.channels : [{ type: 'email', value: '' }]);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const set = (k: keyof typeof f) => (v: string) => setF({ ...f, [k]: v });
  // Rows left empty are not sent: the index the server names in an error
  // ("channels[1].value") is the index among the rows that were sent.
  const sent = channels.map((c, i) => ({ ...c, i })).filter((c) => c.value.trim());
  const pathOf = (i: number) => {
    const k = sent.findIndex((c) => c.i === i);
    return k < 0 ? `channels-unsent-${i}` : `channels[${k}]`;
  };
  const submit = async (e: Event) => {
    e.preventDefault();
    const body: Record<string, unknown> = {
      role: f.role,
      function_title: f.function_title,
      languages: list(f.languages),
      timezone: f.timezone.trim(),
      hours: f.always ? { always: true } : { days: DAYS.filter((d) => f.days.includes(d)), start: f.start, end: f.end },
      channels: sent.map((c) => ({ type: c.type, value: c.value.trim() })),
    };
    if (f.name) body.name = f.name;
    setBusy(true);
    try {
      if (poc) await api('PUT', `/api/v1/pocs/${poc.id}`, body);
      else await api('POST', `/api/v1/orgs/${org}/pocs`, body);
      onDone(true);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const fid = poc?.id.slice(0, 8) ?? 'new';
  return (
    <form class="card form" onSubmit={submit} aria-labelledby={`poc-form-${fid}`}>
      <h3 id={`poc-form-${fid}`}>{poc ? t('poc.edit') : t('org.add_contact')}</h3>
      {error !== null && <Alert>{errorText(error)}</Alert>}
      <div class="grid2">
        <Select label={t('poc.role')} name="role" value={f.role} onChange={set('role')} error={error} options={['diplomatic', 'technical', 'law_enforcement'].map((r) => ({ value: r, label: t(`role.${r}`) }))} />
        <Field label={t('poc.function')} name="function_title" value={f.function_title} onInput={set('function_title')} error={error} required />
        <Field label={t('poc.name')} name="name" value={f.name} onInput={set('name')} error={error} help={t('poc.name_help')} />
        <Field label={t('poc.languages')} name="languages" value={f.languages} onInput={set('languages')} help={t('poc.languages_help')} error={error} dir="ltr" />
        <Field label={t('poc.timezone')} name="timezone" value={f.timezone} onInput={set('timezone')} help={t('poc.timezone_help')} error={error} dir="ltr" />
      </div>
      <fieldset>
        <legend>{t('poc.hours')}</legend>
        <label class="check">
          <input type="checkbox" checked={f.always} onChange={(e) => setF({ ...f, always: (e.target as HTMLInputElement).checked })} /> {t('poc.always')}
        </label>
        {!f.always && (
          <>
            <fieldset class="inner">
              <legend>{t('poc.days')}</legend>
              <div class="days">
                {DAYS.map((d) => (
                  <label class="check">
                    <input
                      type="checkbox"
                      checked={f.days.includes(d)}
                      onChange={(e) => setF({ ...f, days: (e.target as HTMLInputElement).checked ? [...f.days, d] : f.days.filter((x) => x !== d) })}
                    />{' '}
                    {t(`day.${d}`)}
                  </label>
                ))}
              </div>
              <GroupError error={error} paths="hours.days" />
            </fieldset>
            <div class="pair">
              <Field id={`start-${fid}`} label={t('poc.start')} name="start" type="time" value={f.start} onInput={set('start')} error={error} paths="hours.start" />
              <Field id={`end-${fid}`} label={t('poc.end')} name="end" type="time" value={f.end} onInput={set('end')} error={error} paths="hours.end" />
            </div>
          </>
        )}
        <GroupError error={error} paths="hours" exact />
      </fieldset>
      <fieldset>
        <legend>{t('poc.channels')}</legend>
        {channels.map((c, i) => (
          <div class="pair channel">
            <Select
              label={t('poc.channel_type')}
              name={`channel-type-${i}`}
              value={c.type}
              onChange={(v) => setChannels(channels.map((x, j) => (j === i ? { ...x, type: v } : x)))}
              options={CHANNELS.map((k) => ({ value: k, label: t(`channel.${k}`) }))}
              error={error}
              paths={`${pathOf(i)}.type`}
            />
            <Field
              id={`channel-${fid}-${i}`}
              label={t('poc.channel_value')}
              name={`channel-${i}`}
              value={c.value}
              dir="ltr"
              onInput={(v) => setChannels(channels.map((x, j) => (j === i ? { ...x, value: v } : x)))}
              error={error}
              paths={`${pathOf(i)}.value`}
            />
            <button type="button" class="secondary small" aria-label={`${t('poc.remove_channel')} ${i + 1}`} onClick={() => setChannels(channels.filter((_, j) => j !== i))}>
              {t('common.remove')}
            </button>
          </div>
        ))}
        <GroupError error={error} paths="channels" exact />
        <button type="button" class="secondary small" onClick={() => setChannels([...channels, { type: 'email', value: '' }])}>
          {t('poc.add_channel')}
        </button>
      </fieldset>
      <div class="actions">
        <button type="submit" disabled={busy}>
          {t('common.save')}
        </button>
        <button type="button" class="secondary" onClick={() => onDone(false)}>
          {t('common.cancel')}
        </button>
      </div>
    </form>
  );
}

export function OrgForm({ session, org, onDone }: { session: Session; org?: Org; onDone: (changed: boolean) => void }) {
  const [f, setF] = useState({
    kind: org?.kind ?? 'national_csirt',
    country: org?.country ?? '',
    groupings: (org?.groupings ?? []).join(', '),
    sectors: org?.sectors ?? ([] as string[]),
    website: org?.website ?? '',
    iana_id: org?.iana_id !== undefined ? String(org.iana_id) : '',
    names: Object.entries(org?.names ?? { en: '' }).map(([l, n]) => ({ l, n })),
  });
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    const body: Record<string, unknown> = {
      kind: f.kind,
      names: Object.fromEntries(f.names.filter((x) => x.l.trim() && x.n.trim()).map((x) => [x.l.trim(), x.n])),
      groupings: list(f.groupings),
      sectors: f.sectors,
    };
    if (f.country) body.country = f.country;
    if (f.website.trim()) body.website = f.website.trim();
    // A non-number is sent as text so that the node names the field in its error.
    if (f.kind === 'registrar' && f.iana_id.trim()) body.iana_id = /^[0-9]+$/.test(f.iana_id.trim()) ? Number(f.iana_id.trim()) : f.iana_id.trim();
    setBusy(true);
    try {
      if (org) {
        await api('PUT', `/api/v1/orgs/${org.id}`, body);
        onDone(true);
      } else {
        const created = await api<Org>('POST', '/api/v1/orgs', body);
        onDone(true);
        go(`/orgs/${created.id}`);
      }
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const languages = (session.ref.languages ?? []).map((l) => ({ value: l.code, label: `${languageName(l.code)} (${l.code})` })).sort((a, b) => a.label.localeCompare(b.label));
  return (
    <form class="card form" onSubmit={submit} aria-labelledby="org-form-title">
      <h2 id="org-form-title">{org ? t('org.edit') : t('dir.new_org')}</h2>
      {error !== null && <Alert>{errorText(error)}</Alert>}
      <div class="grid2">
        {!org && (
          <Select id="org-kind" label={t('org.kind')} name="kind" value={f.kind} onChange={(v) => setF({ ...f, kind: v })} error={error} options={session.ref.org_kinds.map((k) => ({ value: k, label: t(`kind.${k}`) }))} />
        )}
        <Select
          id="org-country"
          label={t('org.country')}
          name="country"
          value={f.country}
          onChange={(v) => setF({ ...f, country: v })}
          any
          error={error}
          options={countryOptions(session.ref.countries)}
        />
      </div>
      <fieldset>
        <legend>{t('org.names')}</legend>
        <GroupError error={error} paths="names" exact />
        {f.names.map((x, i) => (
          <div class="pair">
            <Select
              label={t('dir.lang')}
              name={`name-lang-${i}`}
              value={x.l}
              onChange={(v) => setF({ ...f, names: f.names.map((y, j) => (j === i ? { ...y, l: v } : y)) })}
              options={languages.some((o) => o.value === x.l) || !x.l ? languages : [{ value: x.l, label: x.l }, ...languages]}
            />
            <Field
              label={t('org.name_in', { lang: x.l ? languageName(x.l) : '…' })}
              name={`name-${i}`}
              value={x.n}
              dir="auto"
              error={error}
              paths={x.l ? `names.${x.l}` : `names-unset-${i}`}
              required={i === 0}
              onInput={(v) => setF({ ...f, names: f.names.map((y, j) => (j === i ? { ...y, n: v } : y)) })}
            />
          </div>
        ))}
        <button type="button" class="secondary small" onClick={() => setF({ ...f, names: [...f.names, { l: '', n: '' }] })}>
          {t('org.add_name')}
        </button>
      </fieldset>
      <div class="grid2">
        <Field id="org-groupings" label={t('org.groupings')} name="groupings" value={f.groupings} onInput={(v) => setF({ ...f, groupings: v })} help={t('org.groupings_help')} error={error} dir="ltr" />
        <Field id="org-website" label={t('org.website')} name="website" inputMode="url" value={f.website} onInput={(v) => setF({ ...f, website: v })} error={error} dir="ltr" />
        {f.kind === 'registrar' && (
          <Field id="org-iana-id" label={t('dns.iana_id')} name="iana_id" inputMode="numeric" value={f.iana_id} onInput={(v) => setF({ ...f, iana_id: v })} help={t('dns.iana_id_help')} error={error} dir="ltr" />
        )}
      </div>
      <fieldset>
        <legend>{t('org.sectors')}</legend>
        {sectorGroups(session.ref.sectors).map((g) => (
          <fieldset class="inner">
            <legend>{g.label}</legend>
            <div class="sectors">
              {g.options.map((s) => (
                <label class="check">
                  <input
                    type="checkbox"
                    checked={f.sectors.includes(s.value)}
                    onChange={(e) =>
                      setF({ ...f, sectors: (e.target as HTMLInputElement).checked ? [...f.sectors, s.value] : f.sectors.filter((x) => x !== s.value) })
                    }
                  />{' '}
                  {s.label}
                </label>
              ))}
            </div>
          </fieldset>
        ))}
        <GroupError error={error} paths="sectors" />
      </fieldset>
      <div class="actions">
        <button type="submit" disabled={busy}>
          {org ? t('common.save') : t('common.create')}
        </button>
        <button type="button" class="secondary" onClick={() => onDone(false)}>
          {t('common.cancel')}
        </button>
      </div>
    </form>
  );
}
