import { useEffect, useState } from 'preact/hooks';
import { api, query, type Org, type Page, type Poc } from '../api';
import type { Session } from '../app';
import { countryName, countryOptions, languageName, nameLang, pickName, sectorGroups, t } from '../i18n';
import { go, href } from '../router';
import { Alert, errorText, Field, Select } from '../ui';
import { OrgForm } from './org';
import { OrgName } from '../orgname';

// The directory: organisations (#/) and points of contact (#/contacts). The
// filters live in the address, so a search has a link and "back" returns to
// its results.
export function Directory({ session, tab, params }: { session: Session; tab: 'orgs' | 'pocs'; params: Record<string, string> }) {
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
      <nav class="tabs" aria-label={t('dir.sections')}>
        <a href="#/" class={tab === 'orgs' ? 'tab active' : 'tab'} aria-current={tab === 'orgs' ? 'page' : undefined}>
          {t('dir.orgs')}
        </a>
        <a href="#/contacts" class={tab === 'pocs' ? 'tab active' : 'tab'} aria-current={tab === 'pocs' ? 'page' : undefined}>
          {t('dir.pocs')}
        </a>
      </nav>
      {tab === 'orgs' ? <OrgSearch session={session} params={params} /> : <PocSearch session={session} params={params} />}
    </section>
  );
}

function countries(session: Session) {
  return countryOptions(session.ref.countries);
}

function languages(session: Session) {
  return (session.ref.languages ?? [])
    .map((l) => ({ value: l.code, label: languageName(l.code) }))
    .sort((a, b) => a.label.localeCompare(b.label));
}

// Runs the search the address describes; "load more" follows `next`. The
// form's values follow the address too (back and forward).
function useSearch<T>(path: string, route: string, params: Record<string, string>, keys: string[]) {
  const fromParams = () => Object.fromEntries(keys.map((k) => [k, params[k] ?? '']));
  const [f, setF] = useState(fromParams);
  // Results remember the search they answer: results of another search are
  // never shown, not even for the moment before the new one starts.
  const [result, setResult] = useState<{ sig: string; page: Page<T> } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  // The page size may be set in the address too (#/?limit=20), not in the form.
  const limit = /^\d{1,3}$/.test(params.limit ?? '') ? params.limit : undefined;
  const sig = JSON.stringify([fromParams(), limit]);
  const page = result && result.sig === sig ? result.page : null;
  const run = async (cursor?: string) => {
    setError(null);
    setBusy(true);
    if (!cursor) setResult(null);
    try {
      const r = await api<Page<T>>('GET', path + query({ ...fromParams(), limit, cursor }));
      setResult((prev) => ({ sig, page: cursor && prev && prev.sig === sig ? { items: [...prev.page.items, ...r.items], next: r.next } : r }));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  useEffect(() => {
    setF(fromParams());
    run();
  }, [sig]);
  const submit = (e: Event) => {
    e.preventDefault();
    const target = href(route, f);
    if (target === (location.hash || '#/')) run();
    else go(target.slice(1));
  };
  const set = (k: string) => (v: string) => setF({ ...f, [k]: v });
  return { f, set, submit, page, error, busy, more: () => page?.next && run(page.next) };
}

function Results({ count, busy }: { count: number; busy: boolean }) {
  return (
    <p class="muted results" role="status">
      {busy ? t('common.loading') : count === 0 ? t('common.none') : t('dir.results', { n: String(count) })}
    </p>
  );
}

function OrgSearch({ session, params }: { session: Session; params: Record<string, string> }) {
  const { f, set, submit, page, error, busy, more } = useSearch<Org>('/api/v1/orgs', '/', params, ['q', 'country', 'grouping', 'kind', 'sector']);
  return (
    <>
      <form
        class="filters"
        role="search"
        aria-label={t('dir.orgs')}
        onSubmit={submit}
      >
        <Field label={t('dir.query')} name="q" type="search" value={f.q} onInput={set('q')} error={error} />
        <Select label={t('dir.country')} name="country" value={f.country} onChange={set('country')} any options={countries(session)} error={error} />
        <Field label={t('dir.grouping')} name="grouping" value={f.grouping} onInput={set('grouping')} error={error} />
        <Select label={t('dir.kind')} name="kind" value={f.kind} onChange={set('kind')} any options={session.ref.org_kinds.map((k) => ({ value: k, label: t(`kind.${k}`) }))} error={error} />
        <Select label={t('dir.sector')} name="sector" value={f.sector} onChange={set('sector')} any groups={sectorGroups(session.ref.sectors)} error={error} />
        <button type="submit">{t('common.search')}</button>
      </form>
      {error !== null && <Alert>{errorText(error)}</Alert>}
      <Results count={page?.items.length ?? 0} busy={!page} />
      {page && page.items.length > 0 && (
        <table class="list">
          <caption class="visually-hidden">{t('dir.orgs')}</caption>
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
              <tr key={o.id}>
                <td>
                  <a href={`#/orgs/${o.id}`} dir="auto" lang={nameLang(o.names)}>
                    {pickName(o.names)}
                  </a>
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
        <button type="button" class="secondary more" onClick={more} disabled={busy}>
          {t('common.more')}
        </button>
      )}
    </>
  );
}

function PocSearch({ session, params }: { session: Session; params: Record<string, string> }) {
  const { f, set, submit, page, error, busy, more } = useSearch<Poc>('/api/v1/pocs', '/contacts', params, ['q', 'country', 'role', 'language']);
  return (
    <>
      <form
        class="filters"
        role="search"
        aria-label={t('dir.pocs')}
        onSubmit={submit}
      >
        <Field label={t('dir.query')} name="q" type="search" value={f.q} onInput={set('q')} error={error} />
        <Select label={t('dir.country')} name="country" value={f.country} onChange={set('country')} any options={countries(session)} error={error} />
        <Select label={t('dir.role')} name="role" value={f.role} onChange={set('role')} any options={session.ref.poc_roles.map((r) => ({ value: r, label: t(`role.${r}`) }))} error={error} />
        <Select label={t('dir.lang')} name="language" value={f.language} onChange={set('language')} any options={languages(session)} error={error} />
        <button type="submit">{t('common.search')}</button>
      </form>
      {error !== null && <Alert>{errorText(error)}</Alert>}
      <Results count={page?.items.length ?? 0} busy={!page} />
      {page && page.items.length > 0 && (
        <table class="list">
          <caption class="visually-hidden">{t('dir.pocs')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('poc.name')}</th>
              <th scope="col">{t('poc.function')}</th>
              <th scope="col">{t('poc.org')}</th>
              <th scope="col">{t('poc.role')}</th>
              <th scope="col">{t('poc.languages')}</th>
              <th scope="col">{t('poc.timezone')}</th>
            </tr>
          </thead>
          <tbody>
            {page.items.map((p) => (
              <tr key={p.id}>
                <td>
                  <a href={`#/orgs/${p.org}`} dir="auto">
                    {p.erased ? t('poc.erased') : p.name || p.function_title}
                  </a>
                </td>
                <td dir="auto">{p.function_title}</td>
                <td>
                  <OrgName id={p.org} />
                </td>
                <td>{t(`role.${p.role}`)}</td>
                <td>{p.languages.map(languageName).join(', ')}</td>
                <td dir="ltr">{p.timezone}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {page?.next && (
        <button type="button" class="secondary more" onClick={more} disabled={busy}>
          {t('common.more')}
        </button>
      )}
    </>
  );
}
