import { useEffect, useRef, useState } from 'preact/hooks';
import { api, type Org, type Page } from '../api';
import type { Session } from '../app';
import { countryName, formatNumber, nameLang, pickName, t } from '../i18n';
import { Alert, errorText, Fingerprint } from '../ui';
import { Peers } from './peers';

export function NodePage({ session }: { session: Session }) {
  const [node, setNode] = useState<any>(null);
  const [health, setHealth] = useState<any>(null);
  const [orgs, setOrgs] = useState<Org[]>([]);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    (async () => {
      try {
        const n = await api('GET', '/api/v1/node');
        setNode(n);
        setHealth(await api('GET', '/api/v1/node/health'));
        // Every organisation, page by page (bounded), keeping those at home here.
        const hosted: Org[] = [];
        let cursor: string | null = null;
        for (let i = 0; i < 50; i++) {
          const page: Page<Org> = await api<Page<Org>>('GET', '/api/v1/orgs?limit=200' + (cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''));
          hosted.push(...page.items.filter((o) => o.home_node === n.id));
          cursor = page.next;
          if (!cursor) break;
        }
        setOrgs(hosted);
      } catch (e) {
        setError(e);
      }
    })();
  }, []);
  void session;
  if (error !== null) return <Alert>{errorText(error)}</Alert>;
  if (!node || !health) return <p>{t('common.loading')}</p>;
  return (
    <section>
      <h1>{t('node.title')}</h1>
      <h2>{t('node.id')}</h2>
      <p class="muted">{t('node.id_help')}</p>
      <dl class="facts">
        <dt>{t('org.fingerprint')}</dt>
        <dd>
          <Fingerprint hex={node.id} />
        </dd>
        <dt>{t('node.public_key')}</dt>
        <dd>
          <code dir="ltr">{node.public_key}</code>
        </dd>
        <dt>{t('node.base_url')}</dt>
        <dd dir="ltr">{node.base_url}</dd>
        <dt>{t('node.version')}</dt>
        <dd dir="ltr">{node.version}</dd>
      </dl>
      <h2>{t('node.health')}</h2>
      <dl class="facts">
        <dt>{t('node.database')}</dt>
        <dd dir="ltr">{health.database}</dd>
        <dt>{t('node.schema')}</dt>
        <dd>{formatNumber(health.schema_version)}</dd>
        <dt>{t('node.journal')}</dt>
        <dd>{formatNumber(health.journal_size)}</dd>
        <dt>{t('node.hosted')}</dt>
        <dd>{formatNumber(health.hosted_orgs)}</dd>
        {health.pool && (
          <>
            <dt>{t('node.pool')}</dt>
            <dd>{t('node.pool_value', { in_use: formatNumber(health.pool.in_use), size: formatNumber(health.pool.size) })}</dd>
          </>
        )}
      </dl>
      <RequestChart />
      <Peers />
      <h2>{t('node.orgs')}</h2>
      <table class="list">
        <caption class="visually-hidden">{t('node.orgs')}</caption>
        <thead>
          <tr>
            <th scope="col">{t('org.name')}</th>
            <th scope="col">{t('org.kind')}</th>
            <th scope="col">{t('org.country')}</th>
          </tr>
        </thead>
        <tbody>
          {orgs.map((o) => (
            <tr key={o.id}>
              <td>
                <a href={`#/orgs/${o.id}`} dir="auto" lang={nameLang(o.names)}>
                  {pickName(o.names)}
                </a>
              </td>
              <td>{t(`kind.${o.kind}`)}</td>
              <td>{countryName(o.country)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

// Requests by HTTP status since the process started, from /metrics, drawn
// with uPlot (loaded only on this screen).
function RequestChart() {
  const ref = useRef<HTMLDivElement>(null);
  const [summary, setSummary] = useState<[string, number][]>([]);
  useEffect(() => {
    let plot: { destroy(): void } | undefined;
    (async () => {
      const text = await (await fetch('/metrics', { credentials: 'same-origin' })).text();
      const byStatus = new Map<string, number>();
      for (const m of text.matchAll(/^entente_http_requests_total\{[^}]*status="(\d+)"\} (\d+)/gm))
        byStatus.set(m[1], (byStatus.get(m[1]) ?? 0) + Number(m[2]));
      const rows = [...byStatus.entries()].sort();
      setSummary(rows);
      if (!ref.current || rows.length === 0) return;
      const [{ default: uPlot }] = await Promise.all([import('uplot'), import('uplot/dist/uPlot.min.css')]);
      const xs = rows.map((_, i) => i);
      plot = new uPlot(
        {
          width: Math.max(200, Math.min(560, (ref.current.closest('figure')?.clientWidth ?? 600) - 40)),
          height: 220,
          scales: { x: { time: false, range: () => [-0.5, rows.length - 0.5] }, y: { range: (_u: unknown, _min: number, max: number) => [0, Math.max(1, max * 1.1)] } },
          legend: { show: false },
          cursor: { show: false },
          axes: [
            { splits: () => xs, values: (_u: unknown, ticks: number[]) => ticks.map((i) => rows[i]?.[0] ?? ''), grid: { show: false } },
            { values: (_u: unknown, ticks: number[]) => ticks.map((n) => formatNumber(n)) },
          ],
          series: [
            {},
            {
              label: t('node.requests'),
              stroke: '#1d4e89',
              fill: 'rgba(29,78,137,0.35)',
              width: 1,
              points: { show: false },
              paths: uPlot.paths.bars!({ size: [0.6], align: 0 }),
            },
          ],
        },
        [xs, rows.map((r) => r[1])],
        ref.current,
      );
    })();
    return () => plot?.destroy();
  }, []);
  return (
    <figure class="chart">
      <figcaption>{t('node.requests')}</figcaption>
      <div class="chart-row">
      <div ref={ref} aria-hidden="true" />
      <table class="list compact">
        <caption class="visually-hidden">{t('node.requests')}</caption>
        <thead>
          <tr>
            <th scope="col">{t('node.status')}</th>
            <th scope="col">{t('node.count')}</th>
          </tr>
        </thead>
        <tbody>
          {summary.map(([s, n]) => (
            <tr>
              <th scope="row">{s}</th>
              <td>{formatNumber(n)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      </div>
    </figure>
  );
}
