// DNS abuse observatory (docs/dns-abuse.md), loaded lazily: abuse rates per
// TLD and per registrar for a month (sortable on the server, paged), trends
// over days (uPlot, with the same numbers in a table), the monthly report as
// HTML and CSV, and the abuse reports of the user's organisation: those
// addressed to it (a registrar's own view, with its deadlines) and those it
// filed.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, query } from '../api';
import { formatDate, formatNumber, formatPercent, t } from '../i18n';
import { Alert, Select, errorText } from '../ui';
import type { Session } from '../app';

interface Row {
  scope: string;
  key: string;
  label: string;
  org?: string | null;
  days?: number;
  domains: number;
  abused: number;
  per10k: number;
  share: number;
  new_share: number | null;
  phishing: number;
  malware: number;
  botnet_cc: number;
  spam: number;
  mitigated: number;
  median_ttm_days?: number | null;
}

interface Table {
  total: number;
  offset: number;
  items: Row[];
  days: string[];
}

interface Report {
  id: string;
  domain: string;
  status: string;
  categories: string[];
  registrar: number;
  recipient_org: string | null;
  filer_org: string;
  message_id: string | null;
  ack_due: string | null;
  response_due: string | null;
  acknowledged_at: string | null;
  responded_day: string | null;
  ttm_days: number | null;
  reason: string | null;
}

const PAGE = 20;
const COLUMNS: { key: keyof Row; label: string; num: boolean }[] = [
  { key: 'domains', label: 'dns.col_domains', num: true },
  { key: 'abused', label: 'dns.col_abused', num: true },
  { key: 'per10k', label: 'dns.col_per10k', num: true },
  { key: 'share', label: 'dns.col_share', num: true },
  { key: 'new_share', label: 'dns.col_new_share', num: true },
  { key: 'phishing', label: 'dns.cat_phishing', num: true },
  { key: 'malware', label: 'dns.cat_malware', num: true },
  { key: 'botnet_cc', label: 'dns.cat_botnet_cc', num: true },
  { key: 'spam', label: 'dns.cat_spam', num: true },
  { key: 'mitigated', label: 'dns.col_mitigated', num: true },
  { key: 'median_ttm_days', label: 'dns.col_median_ttm', num: true },
];

function cell(row: Row, key: keyof Row): string {
  const v = row[key];
  if (v === null || v === undefined) return '—';
  if (key === 'share' || key === 'new_share') return formatPercent(v as number);
  return typeof v === 'number' ? formatNumber(v) : String(v);
}

export function Dns({ session }: { session: Session }) {
  const [days, setDays] = useState<string[] | null>(null);
  const [month, setMonth] = useState('');
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    api<{ items: { day: string }[] }>('GET', '/api/v1/dns/days?limit=1000').then(
      (r) => {
        const list = r.items.map((d) => d.day);
        setDays(list);
        if (list.length) setMonth(list[0].slice(0, 7));
      },
      (e) => setError(e),
    );
  }, []);
  const months = [...new Set((days ?? []).map((d) => d.slice(0, 7)))];
  return (
    <section aria-labelledby="dns-title">
      <h1 id="dns-title">{t('dns.title')}</h1>
      {error ? <Alert>{errorText(error)}</Alert> : null}
      {days === null && !error && <p>{t('common.loading')}</p>}
      {days !== null && days.length === 0 && <p>{t('dns.no_data')}</p>}
      {months.length > 0 && (
        <>
          <div class="grid2">
            <Select label={t('dns.month')} name="month" value={month} onChange={setMonth} options={months.map((m) => ({ value: m, label: m }))} />
            <p class="dns-links">
              {t('dns.report')}:{' '}
              <a href={`/api/v1/dns/months/${month}/report?format=html`} target="_blank" rel="noopener">
                HTML
              </a>{' '}
              ·{' '}
              <a href={`/api/v1/dns/months/${month}/report?format=csv`} download={`dns-abuse-${month}.csv`}>
                CSV
              </a>
            </p>
          </div>
          <Figures month={month} scope="tld" key={`tld-${month}`} />
          <Figures month={month} scope="registrar" key={`reg-${month}`} />
          <Trends days={days ?? []} />
        </>
      )}
      <Reports session={session} />
    </section>
  );
}

function Figures({ month, scope }: { month: string; scope: 'tld' | 'registrar' }) {
  const [sort, setSort] = useState<{ col: string; desc: boolean }>({ col: 'per10k', desc: true });
  const [offset, setOffset] = useState(0);
  const [table, setTable] = useState<Table | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    let live = true;
    api<Table>('GET', `/api/v1/dns/months/${month}/figures${query({ scope, sort: sort.col, order: sort.desc ? 'desc' : 'asc', offset: String(offset), limit: String(PAGE) })}`).then(
      (r) => live && (setTable(r), setError(null)),
      (e) => live && setError(e),
    );
    return () => {
      live = false;
    };
  }, [month, scope, sort.col, sort.desc, offset]);
  const id = `dns-${scope}`;
  const keyLabel = t(scope === 'tld' ? 'dns.col_tld' : 'dns.col_registrar');
  const header = (col: string, label: string) => {
    const active = sort.col === col;
    return (
      <th scope="col" aria-sort={active ? (sort.desc ? 'descending' : 'ascending') : 'none'}>
        <button
          type="button"
          class="link sort"
          onClick={() => {
            setOffset(0);
            setSort({ col, desc: active ? !sort.desc : col !== 'key' });
          }}
        >
          {label}
          <span aria-hidden="true">{active ? (sort.desc ? ' ▼' : ' ▲') : ''}</span>
        </button>
      </th>
    );
  };
  return (
    <section aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`}>{t(scope === 'tld' ? 'dns.by_tld' : 'dns.by_registrar')}</h2>
      {error ? <Alert>{errorText(error)}</Alert> : null}
      {table && (
        <>
          <div class="table-scroll">
            <table id={id} class="list">
              <caption class="visually-hidden">{t(scope === 'tld' ? 'dns.by_tld' : 'dns.by_registrar')}</caption>
              <thead>
                <tr>
                  {header('key', keyLabel)}
                  {COLUMNS.map((c) => header(c.key === 'median_ttm_days' ? 'median_ttm' : c.key, t(c.label)))}
                </tr>
              </thead>
              <tbody>
                {table.items.map((r) => (
                  <tr>
                    <th scope="row">
                      {scope === 'registrar' && r.org ? (
                        <a href={`#/orgs/${r.org}`}>
                          <bdi>{r.label}</bdi> ({r.key})
                        </a>
                      ) : scope === 'registrar' ? (
                        <>
                          <bdi>{r.key === '0' ? t('dns.no_registration') : r.label}</bdi> ({r.key})
                        </>
                      ) : (
                        <bdi dir="ltr">.{r.key}</bdi>
                      )}
                    </th>
                    {COLUMNS.map((c) => (
                      <td class="num">{cell(r, c.key)}</td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <p class="pager">
            {t('dns.rows', { from: String(table.total ? offset + 1 : 0), to: String(Math.min(offset + PAGE, table.total)), total: String(table.total) })}{' '}
            <button type="button" class="secondary small" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>
              {t('dns.previous')}
            </button>{' '}
            <button type="button" class="secondary small" disabled={offset + PAGE >= table.total} onClick={() => setOffset(offset + PAGE)}>
              {t('dns.next')}
            </button>
          </p>
        </>
      )}
    </section>
  );
}

interface Series {
  key: string;
  label: string;
  points: { day: string; per10k: number; abused: number; domains: number }[];
}

function Trends({ days }: { days: string[] }) {
  const [scope, setScope] = useState<'tld' | 'registrar'>('tld');
  const [keys, setKeys] = useState<{ key: string; label: string }[]>([]);
  const [key, setKey] = useState('');
  const [series, setSeries] = useState<Series | null>(null);
  const [error, setError] = useState<unknown>(null);
  const from = days.length ? days[Math.min(days.length - 1, 365)] : '';
  const to = days.length ? days[0] : '';
  useEffect(() => {
    if (!to) return;
    api<Table>('GET', `/api/v1/dns/days/${to}/figures${query({ scope, sort: 'abused', limit: '100' })}`).then(
      (r) => {
        const ks = r.items.map((x) => ({ key: x.key, label: scope === 'tld' ? `.${x.key}` : `${x.label} (${x.key})` }));
        setKeys(ks);
        setKey(ks[0]?.key ?? '');
      },
      (e) => setError(e),
    );
  }, [scope, to]);
  useEffect(() => {
    if (!key) {
      setSeries(null);
      return;
    }
    api<{ series: Series[] }>('GET', `/api/v1/dns/trends${query({ scope, key, from, to })}`).then(
      (r) => (setSeries(r.series[0] ?? null), setError(null)),
      (e) => setError(e),
    );
  }, [scope, key, from, to]);
  return (
    <section aria-labelledby="dns-trends-h">
      <h2 id="dns-trends-h">{t('dns.trends')}</h2>
      <div class="grid2">
        <Select
          label={t('dns.scope')}
          name="trend-scope"
          value={scope}
          onChange={(v) => setScope(v as 'tld' | 'registrar')}
          options={[
            { value: 'tld', label: t('dns.col_tld') },
            { value: 'registrar', label: t('dns.col_registrar') },
          ]}
        />
        <Select label={t('dns.series')} name="trend-key" value={key} onChange={setKey} options={keys.map((k) => ({ value: k.key, label: k.label }))} />
      </div>
      {error ? <Alert>{errorText(error)}</Alert> : null}
      {series && (
        <figure>
          <LineChart days={series.points.map((p) => p.day)} values={series.points.map((p) => p.per10k)} />
          <figcaption>{t('dns.trend_caption', { name: keys.find((k) => k.key === key)?.label ?? key })}</figcaption>
          <div class="table-scroll">
            <table id="dns-trend" class="list compact">
              <thead>
                <tr>
                  <th scope="col">{t('dns.day')}</th>
                  <th scope="col">{t('dns.col_domains')}</th>
                  <th scope="col">{t('dns.col_abused')}</th>
                  <th scope="col">{t('dns.col_per10k')}</th>
                </tr>
              </thead>
              <tbody>
                {series.points.map((p) => (
                  <tr>
                    <th scope="row">{p.day}</th>
                    <td class="num">{formatNumber(p.domains)}</td>
                    <td class="num">{formatNumber(p.abused)}</td>
                    <td class="num">{formatNumber(p.per10k)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </figure>
      )}
    </section>
  );
}

// Abuse per 10,000 domains over days; decorative (the table has the numbers).
function LineChart({ days, values }: { days: string[]; values: number[] }) {
  const ref = useRef<HTMLDivElement>(null);
  const key = JSON.stringify([days, values]);
  useEffect(() => {
    let plot: { destroy(): void } | undefined;
    let live = true;
    (async () => {
      if (!ref.current || days.length === 0) return;
      const [{ default: uPlot }] = await Promise.all([import('uplot'), import('uplot/dist/uPlot.min.css')]);
      if (!live || !ref.current) return;
      const xs = days.map((d) => Date.parse(`${d}T00:00:00Z`) / 1000);
      const w = Math.max(200, Math.min(640, (ref.current.closest('figure')?.clientWidth ?? 640) - 40));
      plot = new uPlot(
        {
          width: w,
          height: 220,
          scales: { x: { time: true, ...(xs.length === 1 ? { range: (): [number, number] => [xs[0] - 86400, xs[0] + 86400] } : {}) } },
          legend: { show: false },
          cursor: { show: false },
          axes: [{ values: (_u: unknown, ticks: number[]) => ticks.map((s) => new Date(s * 1000).toISOString().slice(0, 10)), space: 100 }, { values: (_u: unknown, ticks: number[]) => ticks.map((n) => formatNumber(n)) }],
          series: [{}, { label: 'per10k', stroke: '#1d4e89', width: 2, points: { show: true, size: 7 } }],
        },
        [xs, values],
        ref.current,
      );
    })();
    return () => {
      live = false;
      plot?.destroy();
    };
  }, [key]);
  return <div ref={ref} aria-hidden="true" class="chart-canvas" />;
}

function Reports({ session }: { session: Session }) {
  const [box, setBox] = useState<'received' | 'filed'>('received');
  const [items, setItems] = useState<Report[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    let live = true;
    setItems(null);
    api<{ items: Report[] }>('GET', `/api/v1/dns/reports${query({ box, limit: '100' })}`).then(
      (r) => live && (setItems(r.items), setError(null)),
      (e) => live && setError(e),
    );
    return () => {
      live = false;
    };
  }, [box, session.user.org]);
  const now = Date.now();
  const due = (iso: string | null, done: boolean) =>
    iso ? (
      <>
        {formatDate(iso)}
        {!done && Date.parse(iso) < now && <strong class="overdue"> {t('dns.overdue')}</strong>}
      </>
    ) : (
      '—'
    );
  const open = (r: Report) => r.status === 'sent' || r.status === 'acknowledged';
  return (
    <section aria-labelledby="dns-reports-h">
      <h2 id="dns-reports-h">{t('dns.reports')}</h2>
      <div role="group" aria-label={t('dns.reports')} class="tabs">
        <button type="button" aria-pressed={box === 'received'} class={box === 'received' ? '' : 'secondary'} onClick={() => setBox('received')}>
          {t('dns.received')}
        </button>{' '}
        <button type="button" aria-pressed={box === 'filed'} class={box === 'filed' ? '' : 'secondary'} onClick={() => setBox('filed')}>
          {t('dns.filed')}
        </button>
      </div>
      {error ? <Alert>{errorText(error)}</Alert> : null}
      {items === null && !error && <p>{t('common.loading')}</p>}
      {items && items.length === 0 && <p>{t('dns.no_reports')}</p>}
      {items && items.length > 0 && (
        <div class="table-scroll">
          <table id="dns-reports" class="list">
            <thead>
              <tr>
                <th scope="col">{t('dns.col_domain')}</th>
                <th scope="col">{t('dns.col_categories')}</th>
                <th scope="col">{t('dns.col_status')}</th>
                <th scope="col">{t('dns.col_ack_due')}</th>
                <th scope="col">{t('dns.col_response_due')}</th>
                <th scope="col">{t('dns.col_ttm')}</th>
                <th scope="col">{t('dns.col_message')}</th>
              </tr>
            </thead>
            <tbody>
              {items.map((r) => (
                <tr>
                  <th scope="row">
                    <bdi dir="ltr">{r.domain}</bdi>
                  </th>
                  <td>{r.categories.map((c) => t(`dns.cat_${c}`)).join(', ')}</td>
                  <td>
                    {t(`dns.status_${r.status}`)}
                    {r.reason ? <span class="muted"> — {r.reason}</span> : null}
                  </td>
                  <td>{due(r.ack_due, !!r.acknowledged_at || !open(r))}</td>
                  <td>{due(r.response_due, !open(r))}</td>
                  <td class="num">{r.ttm_days === null ? '—' : formatNumber(r.ttm_days)}</td>
                  <td>{r.message_id ? <a href={`#/messages/${r.message_id}`}>{t('dns.open_message')}</a> : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
