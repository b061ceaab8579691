import { useEffect, useState } from 'preact/hooks';
import { api, type Org, type Page, type Poc } from '../api';
import type { Session } from '../app';
import { countryName, formatDate, languageName, pickName, t } from '../i18n';
import { go } from '../router';
import { Alert, errorText, Field, Fingerprint, Select } from '../ui';

interface AuditItem {
  seq: number;
  action: string;
  author_org: string;
  at: string;
  changed: string[];
}

const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const list = (s: string) => s.split(',').map((x) => x.trim()).filter(Boolean);

function canWritePocs(s: Session, org: string) {
  return s.user.operator || (s.user.org === org && (s.user.role === 'officer' || s.user.role === 'admin'));
}
function canWriteOrg(s: Session, org: string) {
  return s.user.operator || (s.user.org === org && s.user.role === 'admin');
}

export function OrgPage({ session, id }: { session: Session; id: string }) {
  const [org, setOrg] = useState<Org | null>(null);
  const [pocs, setPocs] = useState<Poc[]>([]);
  const [audit, setAudit] = useState<AuditItem[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [editing, setEditing] = useState<'org' | 'new' | string | null>(null);
  const load = async () => {
    try {
      setOrg(await api<Org>('GET', `/api/v1/orgs/${id}`));
      setPocs((await api<Page<Poc>>('GET', `/api/v1/orgs/${id}/pocs?limit=200`)).items);
      setAudit((await api<Page<AuditItem>>('GET', `/api/v1/orgs/${id}/audit?limit=50`)).items);
    } catch (e) {
      setError(e);
    }
  };
  useEffect(() => {
    load();
  }, [id]);
  if (error !== null) return <Alert>{errorText(error)}</Alert>;
  if (!org) return <p>{t('common.loading')}</p>;
  const done = async () => {
    setEditing(null);
    await load();
  };
  return (
    <article>
      <p class="crumbs">
        <a href="#/">{t('nav.directory')}</a>
      </p>
      <div class="title-row">
        <h1 dir="auto">{pickName(org.names)}</h1>
        {canWriteOrg(session, org.id) && editing !== 'org' && (
          <button type="button" class="secondary" onClick={() => setEditing('org')}>
            {t('org.edit')}
          </button>
        )}
      </div>
      {editing === 'org' && <OrgForm session={session} org={org} onDone={done} />}
      <dl class="facts">
        <dt>{t('org.kind')}</dt>
        <dd>{t(`kind.${org.kind}`)}</dd>
        <dt>{t('org.country')}</dt>
        <dd>{countryName(org.country)}</dd>
        <dt>{t('org.names')}</dt>
        <dd>
          <ul class="plain">
            {Object.entries(org.names).map(([l, n]) => (
              <li lang={l} dir="auto">
                {n} <span class="muted">({languageName(l)})</span>
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
            <dd>{org.sectors.map((s) => session.ref.sectors.find((x) => x.code === s)?.name ?? s).join(', ')}</dd>
          </>
        )}
        {org.website && (
          <>
            <dt>{t('org.website')}</dt>
            <dd dir="ltr">{org.website}</dd>
          </>
        )}
        <dt>{t('org.updated')}</dt>
        <dd>{formatDate(org.updated)}</dd>
      </dl>

      <h2>{t('org.contacts')}</h2>
      {canWritePocs(session, org.id) && editing !== 'new' && (
        <button type="button" onClick={() => setEditing('new')}>
          {t('org.add_contact')}
        </button>
      )}
      {editing === 'new' && <PocForm org={org.id} onDone={done} />}
      {pocs.length === 0 && <p>{t('common.none')}</p>}
      <ul class="cards">
        {pocs.map((p) => (
          <li class="card poc">
            {editing === p.id ? (
              <PocForm org={org.id} poc={p} onDone={done} />
            ) : (
              <PocCard poc={p} canWrite={canWritePocs(session, org.id)} onEdit={() => setEditing(p.id)} onChanged={load} />
            )}
          </li>
        ))}
      </ul>

      <h2>{t('org.keys')}</h2>
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
      <table class="list">
        <thead>
          <tr>
            <th scope="col">{t('audit.when')}</th>
            <th scope="col">{t('audit.action')}</th>
            <th scope="col">{t('audit.changed')}</th>
          </tr>
        </thead>
        <tbody>
          {audit.map((a) => (
            <tr>
              <td>{formatDate(a.at)}</td>
              <td>{t(`action.${a.action}`)}</td>
              <td dir="ltr">{a.changed.join(', ')}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </article>
  );
}

function PocCard({ poc, canWrite, onEdit, onChanged }: { poc: Poc; canWrite: boolean; onEdit: () => void; onChanged: () => void }) {
  const [error, setError] = useState<unknown>(null);
  return (
    <>
      <h3 dir="auto">{poc.erased ? t('poc.erased') : poc.name || poc.function_title}</h3>
      <p class="muted" dir="auto">
        {poc.function_title} · {t(`role.${poc.role}`)}
      </p>
      <p>
        {poc.languages.map(languageName).join(', ')} · <span dir="ltr">{poc.timezone}</span> ·{' '}
        {poc.hours.always ? t('poc.always') : `${(poc.hours.days ?? []).map((d) => t(`day.${d}`)).join(' ')} ${poc.hours.start}–${poc.hours.end}`}
      </p>
      {!poc.erased && (
        <ul class="plain">
          {(poc.channels ?? []).map((c) => (
            <li>
              {t(`channel.${c.type}`)}: <span dir="ltr">{c.value}</span>
            </li>
          ))}
        </ul>
      )}
      {error !== null && <Alert>{errorText(error)}</Alert>}
      {canWrite && !poc.erased && (
        <div class="actions">
          <button type="button" class="secondary" onClick={onEdit}>
            {t('common.edit')}
          </button>
          <button
            type="button"
            class="secondary"
            onClick={async () => {
              try {
                const data = await api('GET', `/api/v1/pocs/${poc.id}/export`);
                const blob = new Blob([JSON.stringify(data, null, 2)], { type: 'application/json' });
                const a = document.createElement('a');
                a.href = URL.createObjectURL(blob);
                a.download = `poc-${poc.id}.json`;
                a.click();
              } catch (e) {
                setError(e);
              }
            }}
          >
            {t('poc.export')}
          </button>
          <button
            type="button"
            class="danger"
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

export function PocForm({ org, poc, onDone }: { org: string; poc?: Poc; onDone: () => void }) {
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
    email: poc?.channels?.find((c) => c.type === 'email')?.value ?? '',
    phone: poc?.channels?.find((c) => c.type === 'phone')?.value ?? '',
    platform: poc?.channels?.find((c) => c.type === 'platform')?.value ?? '',
  });
  const [error, setError] = useState<unknown>(null);
  const set = (k: keyof typeof f) => (v: string) => setF({ ...f, [k]: v });
  const submit = async (e: Event) => {
    e.preventDefault();
    const channels = (['email', 'phone', 'platform'] as const).filter((k) => f[k]).map((k) => ({ type: k, value: f[k] }));
    const body: Record<string, unknown> = {
      role: f.role,
      function_title: f.function_title,
      languages: list(f.languages),
      timezone: f.timezone,
      hours: f.always ? { always: true } : { days: f.days, start: f.start, end: f.end },
      channels,
    };
    if (f.name) body.name = f.name;
    try {
      if (poc) await api('PUT', `/api/v1/pocs/${poc.id}`, body);
      else await api('POST', `/api/v1/orgs/${org}/pocs`, body);
      onDone();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <form class="card form" onSubmit={submit}>
      <h3>{poc ? t('poc.edit') : t('org.add_contact')}</h3>
      {error !== null && <Alert>{errorText(error)}</Alert>}
      <Select label={t('poc.role')} name="role" value={f.role} onChange={set('role')} options={['diplomatic', 'technical', 'law_enforcement'].map((r) => ({ value: r, label: t(`role.${r}`) }))} />
      <Field label={t('poc.function')} name="function_title" value={f.function_title} onInput={set('function_title')} error={error} required />
      <Field label={t('poc.name')} name="name" value={f.name} onInput={set('name')} error={error} />
      <Field label={t('poc.languages')} name="languages" value={f.languages} onInput={set('languages')} help={t('poc.languages_help')} error={error} />
      <Field label={t('poc.timezone')} name="timezone" value={f.timezone} onInput={set('timezone')} error={error} />
      <fieldset>
        <legend>{t('poc.hours')}</legend>
        <label class="check">
          <input type="checkbox" checked={f.always} onChange={(e) => setF({ ...f, always: (e.target as HTMLInputElement).checked })} /> {t('poc.always')}
        </label>
        {!f.always && (
          <>
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
            <Field label={t('poc.start')} name="start" type="time" value={f.start} onInput={set('start')} error={error} />
            <Field label={t('poc.end')} name="end" type="time" value={f.end} onInput={set('end')} error={error} />
          </>
        )}
      </fieldset>
      <fieldset>
        <legend>{t('poc.channels')}</legend>
        <Field label={t('channel.email')} name="email" type="email" value={f.email} onInput={set('email')} />
        <Field label={t('channel.phone')} name="phone" type="tel" value={f.phone} onInput={set('phone')} />
        <Field label={t('channel.platform')} name="platform" value={f.platform} onInput={set('platform')} />
      </fieldset>
      <div class="actions">
        <button type="submit">{t('common.save')}</button>
        <button type="button" class="secondary" onClick={onDone}>
          {t('common.cancel')}
        </button>
      </div>
    </form>
  );
}

export function OrgForm({ session, org, onDone }: { session: Session; org?: Org; onDone: () => void }) {
  const [f, setF] = useState({
    kind: org?.kind ?? 'national_csirt',
    country: org?.country ?? '',
    groupings: (org?.groupings ?? []).join(', '),
    sectors: org?.sectors ?? ([] as string[]),
    website: org?.website ?? '',
    names: Object.entries(org?.names ?? { en: '' }).map(([l, n]) => ({ l, n })),
  });
  const [error, setError] = useState<unknown>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    const body: Record<string, unknown> = {
      kind: f.kind,
      names: Object.fromEntries(f.names.filter((x) => x.l && x.n).map((x) => [x.l, x.n])),
      groupings: list(f.groupings),
      sectors: f.sectors,
    };
    if (f.country) body.country = f.country;
    if (f.website) body.website = f.website;
    try {
      if (org) await api('PUT', `/api/v1/orgs/${org.id}`, body);
      else {
        const created = await api<Org>('POST', '/api/v1/orgs', body);
        go(`/orgs/${created.id}`);
      }
      onDone();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <form class="card form" onSubmit={submit}>
      <h2>{org ? t('org.edit') : t('dir.new_org')}</h2>
      {error !== null && <Alert>{errorText(error)}</Alert>}
      {!org && (
        <Select label={t('org.kind')} name="kind" value={f.kind} onChange={(v) => setF({ ...f, kind: v })} options={session.ref.org_kinds.map((k) => ({ value: k, label: t(`kind.${k}`) }))} />
      )}
      <fieldset>
        <legend>{t('org.names')}</legend>
        {f.names.map((x, i) => (
          <div class="pair">
            <Field
              label={t('dir.lang')}
              name={`lang${i}`}
              value={x.l}
              onInput={(v) => setF({ ...f, names: f.names.map((y, j) => (j === i ? { ...y, l: v } : y)) })}
            />
            <Field
              label={t('org.name_in', { lang: x.l || '…' })}
              name={`name${i}`}
              value={x.n}
              onInput={(v) => setF({ ...f, names: f.names.map((y, j) => (j === i ? { ...y, n: v } : y)) })}
            />
          </div>
        ))}
        <button type="button" class="secondary" onClick={() => setF({ ...f, names: [...f.names, { l: '', n: '' }] })}>
          +
        </button>
      </fieldset>
      <Select
        label={t('org.country')}
        name="country"
        value={f.country}
        onChange={(v) => setF({ ...f, country: v })}
        any
        options={session.ref.countries.map((c) => ({ value: c.code, label: countryName(c.code) || c.name }))}
      />
      <Field label={t('org.groupings')} name="groupings" value={f.groupings} onInput={(v) => setF({ ...f, groupings: v })} help={t('org.groupings_help')} error={error} />
      <fieldset>
        <legend>{t('org.sectors')}</legend>
        <div class="sectors">
          {session.ref.sectors.map((s) => (
            <label class="check">
              <input
                type="checkbox"
                checked={f.sectors.includes(s.code)}
                onChange={(e) =>
                  setF({ ...f, sectors: (e.target as HTMLInputElement).checked ? [...f.sectors, s.code] : f.sectors.filter((x) => x !== s.code) })
                }
              />{' '}
              {s.name}
            </label>
          ))}
        </div>
      </fieldset>
      <Field label={t('org.website')} name="website" value={f.website} onInput={(v) => setF({ ...f, website: v })} error={error} />
      <div class="actions">
        <button type="submit">{org ? t('common.save') : t('common.create')}</button>
        <button type="button" class="secondary" onClick={onDone}>
          {t('common.cancel')}
        </button>
      </div>
    </form>
  );
}
