// Communication checks ("ping tests"), for admins and operators (#/checks):
// start a check for a grouping or chosen organisations with a window; the
// history with the response rate over time; a report per check
// (#/checks/ID) with the overall figures, per country and per grouping, a
// chart, every organisation's row and a CSV export.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError } from '../api';
import type { Session } from '../app';
import { poll, type CheckReport, type CheckSummary, type MessageSummary, type Stats } from '../comms';
import { BarChart, TimeChart } from '../charts';
import { countryName, formatDate, formatDuration, formatNumber, formatPercent, lang, languageName, t } from '../i18n';
import { OrgName } from '../orgname';
import { go } from '../router';
import { Alert, errorText, Field, pickError, Select } from '../ui';
import { OrgPicker } from './compose';

export function Checks({ session }: { session: Session }) {
  const [history, setHistory] = useState<CheckSummary[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    api<{ items: CheckSummary[] }>('GET', '/api/v1/checks?limit=100').then((r) => setHistory(r.items), setError);
  }, []);
  return (
    <section>
      <h1>{t('checks.title')}</h1>
      <p class="muted">{t('checks.help')}</p>
      <StartCheck session={session} />
      <h2>{t('checks.history')}</h2>
      {error !== null && <Alert>{errorText(error)}</Alert>}
      {!history ? (
        <p>{t('common.loading')}</p>
      ) : history.length === 0 ? (
        <p class="muted">{t('checks.none')}</p>
      ) : (
        <>
          <figure class="chart">
            <figcaption>{t('checks.rate_over_time')}</figcaption>
            <TimeChart times={history.map((c) => c.started)} values={history.map((c) => c.overall.response_rate)} name={t('checks.rate')} />
          </figure>
          <table class="list">
            <caption class="visually-hidden">{t('checks.history')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('checks.started')}</th>
                <th scope="col">{t('checks.deadline')}</th>
                <th scope="col">{t('checks.targets')}</th>
                <th scope="col">{t('checks.acknowledged')}</th>
                <th scope="col">{t('checks.in_time')}</th>
                <th scope="col">{t('checks.rate')}</th>
                <th scope="col">{t('checks.median')}</th>
              </tr>
            </thead>
            <tbody>
              {history.map((c) => (
                <tr key={c.id}>
                  <td>
                    <a href={`#/checks/${c.id}`} aria-label={t('checks.report_of', { when: formatDate(c.started) })}>
                      {formatDate(c.started)}
                    </a>
                  </td>
                  <td>{formatDate(c.deadline)}</td>
                  <td>{formatNumber(c.overall.targets)}</td>
                  <td>{formatNumber(c.overall.acknowledged)}</td>
                  <td>{formatNumber(c.overall.in_time)}</td>
                  <td>{formatPercent(c.overall.response_rate)}</td>
                  <td>{c.overall.median_ms === null ? '—' : formatDuration(c.overall.median_ms)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}

function StartCheck({ session }: { session: Session }) {
  const [target, setTarget] = useState<'grouping' | 'orgs'>('grouping');
  const [f, setF] = useState({ grouping: '', window: '60', summary: '', language: lang() as string });
  const [orgs, setOrgs] = useState<string[]>([]);
  const [errors, setErrors] = useState<unknown[]>([]);
  const [busy, setBusy] = useState(false);
  const form = useRef<HTMLFormElement>(null);
  useEffect(() => {
    if (errors.length) form.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }, [errors]);
  const languages = (session.ref.languages ?? []).map((l) => ({ value: l.code, label: languageName(l.code) })).sort((a, b) => a.label.localeCompare(b.label, lang()));
  const submit = async (e: Event) => {
    e.preventDefault();
    const mine: ApiError[] = [];
    const need = (field: string, detail = t('compose.required')) => mine.push(new ApiError({ status: 0, detail, field }));
    if (target === 'grouping' && !f.grouping.trim()) need('grouping');
    if (target === 'orgs' && orgs.length === 0) need('orgs', t('checks.need_orgs'));
    const minutes = Number(f.window);
    if (!Number.isInteger(minutes) || minutes < 1 || minutes > 43200) need('window_minutes', t('checks.bad_window'));
    setErrors(mine);
    if (mine.length) return;
    const body: Record<string, unknown> = { window_minutes: minutes };
    if (target === 'grouping') body.grouping = f.grouping.trim();
    else body.orgs = orgs;
    if (f.summary.trim()) {
      body.summary = f.summary.trim();
      body.language = f.language;
    }
    setBusy(true);
    try {
      const m = await api<MessageSummary>('POST', '/api/v1/checks', body);
      go(`/checks/${m.id}`);
    } catch (err) {
      setErrors([err]);
    } finally {
      setBusy(false);
    }
  };
  const serverError = errors.length === 1 && errors[0] instanceof ApiError && (errors[0] as ApiError).problem.status !== 0;
  return (
    <form ref={form} class="card form" onSubmit={submit} aria-labelledby="check-title" noValidate>
      <h2 id="check-title">{t('checks.start')}</h2>
      {errors.length > 0 && <Alert>{serverError ? errorText(errors[0]) : t('compose.fix', { n: String(errors.length) })}</Alert>}
      <fieldset>
        <legend>{t('checks.target')}</legend>
        <label class="check">
          <input type="radio" name="target" checked={target === 'grouping'} onChange={() => setTarget('grouping')} /> {t('checks.by_grouping')}
        </label>
        <label class="check">
          <input type="radio" name="target" checked={target === 'orgs'} onChange={() => setTarget('orgs')} /> {t('checks.by_orgs')}
        </label>
      </fieldset>
      {target === 'orgs' && <OrgPicker session={session} chosen={orgs} onChange={setOrgs} errors={errors} path="orgs" legend={t('checks.orgs')} id="check-orgs" />}
      <div class="grid2">
        {target === 'grouping' && (
          <Field id="check-grouping" label={t('dir.grouping')} name="grouping" value={f.grouping} onInput={(v) => setF({ ...f, grouping: v })} help={t('checks.grouping_help')} error={pickError(errors, 'grouping')} paths="grouping" dir="ltr" required />
        )}
        <Field id="check-window" type="number" label={t('checks.window')} name="window_minutes" value={f.window} onInput={(v) => setF({ ...f, window: v })} help={t('checks.window_help')} error={pickError(errors, 'window_minutes')} paths="window_minutes" inputMode="numeric" min="1" max="43200" required />
      </div>
      <div class="grid2">
        <Field id="check-summary" label={t('checks.summary')} name="summary" value={f.summary} onInput={(v) => setF({ ...f, summary: v })} help={t('checks.summary_help')} error={pickError(errors, 'summary')} paths="summary" maxLength={300} lang={f.language} dir="auto" />
        <Select id="check-language" label={t('checks.summary_language')} name="language" value={f.language} onChange={(v) => setF({ ...f, language: v })} error={pickError(errors, 'language')} paths="language" options={languages} />
      </div>
      <button type="submit" disabled={busy}>
        {t('checks.start_button')}
      </button>
    </form>
  );
}

function StatsTable({ caption, rows, keyLabel, name }: { caption: string; rows: [string, Stats][]; keyLabel: string; name: (k: string) => string }) {
  return (
    <table class="list">
      <caption class="visually-hidden">{caption}</caption>
      <thead>
        <tr>
          <th scope="col">{keyLabel}</th>
          <th scope="col">{t('checks.targets')}</th>
          <th scope="col">{t('checks.acknowledged')}</th>
          <th scope="col">{t('checks.in_time')}</th>
          <th scope="col">{t('checks.rate')}</th>
          <th scope="col">{t('checks.median')}</th>
          <th scope="col">{t('checks.p95')}</th>
        </tr>
      </thead>
      <tbody>
        {rows.map(([k, s]) => (
          <tr key={k}>
            <th scope="row">{name(k)}</th>
            <td>{formatNumber(s.targets)}</td>
            <td>{formatNumber(s.acknowledged)}</td>
            <td>{formatNumber(s.in_time)}</td>
            <td>{formatPercent(s.response_rate)}</td>
            <td>{s.median_ms === null ? '—' : formatDuration(s.median_ms)}</td>
            <td>{s.p95_ms === null ? '—' : formatDuration(s.p95_ms)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function CheckReportPage({ id }: { session: Session; id: string }) {
  const [report, setReport] = useState<CheckReport | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    const load = () =>
      api<CheckReport>('GET', `/api/v1/checks/${encodeURIComponent(id)}`).then(
        (r) => {
          setReport(r);
          setError(null);
        },
        setError,
      );
    load();
    return poll(load);
  }, [id]);
  if (error !== null && !report) return <Alert>{errorText(error)}</Alert>;
  if (!report) return <p>{t('common.loading')}</p>;
  const o = report.overall;
  const running = new Date(report.deadline).getTime() > Date.now();
  const countries = Object.entries(report.by_country).sort((a, b) => countryName(a[0]).localeCompare(countryName(b[0]), lang()));
  const groupings = Object.entries(report.by_grouping).sort((a, b) => a[0].localeCompare(b[0]));
  const countryLabel = (c: string) => (c ? countryName(c) : t('checks.no_country'));
  const chartRows = groupings.length > 0 ? groupings : countries;
  return (
    <article>
      <p class="crumbs">
        <a href="#/checks">{t('checks.title')}</a>
      </p>
      <div class="title-row">
        <h1>{t('checks.report')}</h1>
        <a class="button secondary" href={`/api/v1/checks/${encodeURIComponent(report.id)}?format=csv`} download={`check-${report.id}.csv`}>
          {t('checks.csv')}
        </a>
      </div>
      <p role="status" class="muted">
        {running ? t('checks.running', { deadline: formatDate(report.deadline) }) : t('checks.finished', { deadline: formatDate(report.deadline) })}
      </p>
      <dl class="facts">
        <dt>{t('checks.started')}</dt>
        <dd>{formatDate(report.started)}</dd>
        <dt>{t('checks.deadline')}</dt>
        <dd>{formatDate(report.deadline)}</dd>
        <dt>{t('checks.targets')}</dt>
        <dd>{formatNumber(o.targets)}</dd>
        <dt>{t('checks.acknowledged')}</dt>
        <dd>{formatNumber(o.acknowledged)}</dd>
        <dt>{t('checks.in_time')}</dt>
        <dd>{formatNumber(o.in_time)}</dd>
        <dt>{t('checks.rate')}</dt>
        <dd>
          <strong>{formatPercent(o.response_rate)}</strong>
        </dd>
        <dt>{t('checks.median')}</dt>
        <dd>{o.median_ms === null ? '—' : formatDuration(o.median_ms)}</dd>
        <dt>{t('checks.p95')}</dt>
        <dd>{o.p95_ms === null ? '—' : formatDuration(o.p95_ms)}</dd>
      </dl>
      {chartRows.length > 0 && (
        <figure class="chart">
          <figcaption>{groupings.length > 0 ? t('checks.rate_by_grouping') : t('checks.rate_by_country')}</figcaption>
          <BarChart labels={chartRows.map(([k]) => (groupings.length > 0 ? k : countryLabel(k)))} values={chartRows.map(([, s]) => s.response_rate)} name={t('checks.rate')} />
        </figure>
      )}
      <h2>{t('checks.by_country')}</h2>
      <StatsTable caption={t('checks.by_country')} rows={countries} keyLabel={t('org.country')} name={countryLabel} />
      <h2>{t('checks.by_grouping_title')}</h2>
      {groupings.length === 0 ? <p class="muted">{t('common.none')}</p> : <StatsTable caption={t('checks.by_grouping_title')} rows={groupings} keyLabel={t('dir.grouping')} name={(k) => k} />}
      <h2>{t('checks.organisations')}</h2>
      <table class="list">
        <caption class="visually-hidden">{t('checks.organisations')}</caption>
        <thead>
          <tr>
            <th scope="col">{t('poc.org')}</th>
            <th scope="col">{t('org.country')}</th>
            <th scope="col">{t('org.groupings')}</th>
            <th scope="col">{t('checks.acknowledged')}</th>
            <th scope="col">{t('checks.in_time')}</th>
            <th scope="col">{t('checks.after')}</th>
          </tr>
        </thead>
        <tbody>
          {report.rows.map((r) => (
            <tr key={r.org}>
              <td>
                <OrgName id={r.org} />
              </td>
              <td>{r.country ? countryName(r.country) : '—'}</td>
              <td dir="ltr">{r.groupings.join(', ')}</td>
              <td>{r.acknowledged ? t('common.yes') : t('common.no')}</td>
              <td>{r.in_time ? t('common.yes') : t('common.no')}</td>
              <td>{r.ack_after_ms === null ? '—' : formatDuration(r.ack_after_ms)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </article>
  );
}
