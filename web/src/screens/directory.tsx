import { useEffect, useState } from 'preact/hooks';
import { api, query, type Org, type Page, type Poc } from '../api';
import type { Session } from '../app';
import { countryName, pickName, t } from '../i18n';
import { Alert, errorText, Field, Select } from '../ui';
import { OrgForm } from './org';

export function Directory({ session }: { session: Session }) {
  const [tab, setTab] = useState<'orgs' | 'pocs'>('orgs');
  const [creating, setCreating] = useState(false);
  return (
    <section>
      <div class="title-row">
        <h1>{t('dir.title')}</h1>
        {session.user.operator && !creating && (
          <button type="button" onClick={() => setCreating(true)}>
            {t('dir.new_org')}
          </button>
        )}
      </div>
      {creating && <OrgForm session={session} onDone={() => setCreating(false)} />}
      <div class="tabs" role="tablist">
        <button type="button" role="tab" aria-selected={tab === 'orgs'} class={tab === 'orgs' ? 'tab active' : 'tab'} onClick={() => setTab('orgs')}>
          {t('dir.orgs')}
        </button>
        <button type="button" role="tab" aria-selected={tab === 'pocs'} class={tab === 'pocs' ? 'tab active' : 'tab'} onClick={() => setTab('pocs')}>
          {t('dir.pocs')}
        </button>
      </div>
      {tab === 'orgs' ? <OrgSearch session={session} /> : <PocSearch session={session} />}
    </section>
  );
}

function countries(session: Session) {
  return session.ref.countries.map((c) => ({ value: c.code, label: countryName(c.code) || c.name })).sort((a, b) => a.label.localeCompare(b.label));
}

function OrgSearch({ session }: { session: Session }) {
  const [f, setF] = useState({ q: '', country: '', grouping: '', kind: '', sector: '' });
  const [page, setPage] = useState<Page<Org> | null>(null);
  const [error, setError] = useState<unknown>(null);
  const run = async (cursor?: string) => {
    setError(null);
    try {
      const r = await api<Page<Org>>('GET', '/api/v1/orgs' + query({ ...f, cursor }));
      setPage(cursor && page ? { items: [...page.items, ...r.items], next: r.next } : r);
    } catch (e) {
      setError(e);
    }
  };
  useEffect(() => {
    run();
  }, []);
  const set = (k: keyof typeof f) => (v: string) => setF({ ...f, [k]: v });
  return (
    <>
      <form
        class="filters"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          run();
        }}
      >
        <Field label={t('dir.query')} name="q" value={f.q} onInput={set('q')} />
        <Select label={t('dir.country')} name="country" value={f.country} onChange={set('country')} any options={countries(session)} />
        <Field label={t('dir.grouping')} name="grouping" value={f.grouping} onInput={set('grouping')} />
        <Select label={t('dir.kind')} name="kind" value={f.kind} onChange={set('kind')} any options={session.ref.org_kinds.map((k) => ({ value: k, label: t(`kind.${k}`) }))} />
        <Select label={t('dir.sector')} name="sector" value={f.sector} onChange={set('sector')} any options={session.ref.sectors.map((s) => ({ value: s.code, label: s.name }))} />
        <button type="submit">{t('common.search')}</button>
      </form>
      {error !== null && <Alert>{errorText(error)}</Alert>}
      {page && page.items.length === 0 && <p>{t('common.none')}</p>}
      {page && page.items.length > 0 && (
        <table class="list">
          <thead>
            <tr>
              <th scope="col">{t('org.name')}</th>
              <th scope="col">{t('org.kind')}</th>
              <th scope="col">{t('org.country')}</th>
              <th scope="col">{t('org.groupings')}</th>
            </tr>
          </thead>
          <tbody>
            {page.items.map((o) => (
              <tr>
                <td dir="auto">
                  <a href={`#/orgs/${o.id}`}>{pickName(o.names)}</a>
                </td>
                <td>{t(`kind.${o.kind}`)}</td>
                <td>{countryName(o.country)}</td>
                <td>{o.groupings.join(', ')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {page?.next && (
        <button type="button" class="secondary" onClick={() => run(page.next!)}>
          {t('common.more')}
        </button>
      )}
    </>
  );
}

function PocSearch({ session }: { session: Session }) {
  const [f, setF] = useState({ q: '', country: '', role: '', language: '' });
  const [page, setPage] = useState<Page<Poc> | null>(null);
  const [error, setError] = useState<unknown>(null);
  const run = async (cursor?: string) => {
    setError(null);
    try {
      const r = await api<Page<Poc>>('GET', '/api/v1/pocs' + query({ ...f, cursor }));
      setPage(cursor && page ? { items: [...page.items, ...r.items], next: r.next } : r);
    } catch (e) {
      setError(e);
    }
  };
  useEffect(() => {
    run();
  }, []);
  const set = (k: keyof typeof f) => (v: string) => setF({ ...f, [k]: v });
  return (
    <>
      <form
        class="filters"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          run();
        }}
      >
        <Field label={t('dir.query')} name="q" value={f.q} onInput={set('q')} />
        <Select label={t('dir.country')} name="country" value={f.country} onChange={set('country')} any options={countries(session)} />
        <Select label={t('dir.role')} name="role" value={f.role} onChange={set('role')} any options={session.ref.poc_roles.map((r) => ({ value: r, label: t(`role.${r}`) }))} />
        <Field label={t('dir.lang')} name="language" value={f.language} onInput={set('language')} />
        <button type="submit">{t('common.search')}</button>
      </form>
      {error !== null && <Alert>{errorText(error)}</Alert>}
      {page && page.items.length === 0 && <p>{t('common.none')}</p>}
      {page && page.items.length > 0 && (
        <table class="list">
          <thead>
            <tr>
              <th scope="col">{t('poc.name')}</th>
              <th scope="col">{t('poc.function')}</th>
              <th scope="col">{t('poc.role')}</th>
              <th scope="col">{t('poc.timezone')}</th>
            </tr>
          </thead>
          <tbody>
            {page.items.map((p) => (
              <tr>
                <td dir="auto">
                  <a href={`#/orgs/${p.org}`}>{p.erased ? t('poc.erased') : p.name || '—'}</a>
                </td>
                <td dir="auto">{p.function_title}</td>
                <td>{t(`role.${p.role}`)}</td>
                <td dir="ltr">{p.timezone}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {page?.next && (
        <button type="button" class="secondary" onClick={() => run(page.next!)}>
          {t('common.more')}
        </button>
      )}
    </>
  );
}
