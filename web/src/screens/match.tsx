// Matching (docs/matching.md), loaded lazily: paste values (one per line),
// see each value's kind, normalised form and hits with their context (TLP,
// PAP, community, confidence, validity) or its own error; and the feeds
// panel with the URLs a resolver, a sensor or a MISP instance fetches and
// curl examples with an API token.
import { useState } from 'preact/hooks';
import { api } from '../api';
import { t } from '../i18n';
import { Alert, TextArea, errorText } from '../ui';
import type { Session } from '../app';

interface Hit {
  id: string;
  kind: string;
  match: string;
  prefix?: number;
  tlp: string;
  pap: string;
  community: string;
  confidence: number | null;
  valid_from: string | null;
  valid_until: string | null;
}
interface Result {
  index: number;
  value: string;
  kind?: string;
  normalized?: string;
  hits?: Hit[];
  error?: string;
}
interface Answer {
  results: Result[];
  summary: { values: number; matched: number; errors: number; hits: number };
}

const MAX_VALUES = 10000;
const FEEDS = ['rpz', 'zeek', 'csv', 'misp', 'suricata'];

export function Match(_props: { session: Session }) {
  const [text, setText] = useState('');
  const [answer, setAnswer] = useState<Answer | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const values = text
    .split('\n')
    .map((v) => v.trim())
    .filter((v) => v !== '');

  async function submit(e: Event) {
    e.preventDefault();
    setError(null);
    if (values.length === 0) {
      setError(new Error(t('match.empty')));
      return;
    }
    if (values.length > MAX_VALUES) {
      setError(new Error(t('match.tooMany')));
      return;
    }
    setBusy(true);
    try {
      setAnswer(await api<Answer>('POST', '/api/v1/match', { values }));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section>
      <h1>{t('match.title')}</h1>
      <p>{t('match.intro')}</p>
      <form onSubmit={submit}>
        <TextArea label={t('match.values')} name="values" value={text} onInput={setText} help={t('match.help')} />
        <button type="submit" disabled={busy}>
          {t('match.submit')}
        </button>
      </form>
      {error && <Alert>{errorText(error)}</Alert>}
      {answer && <Results answer={answer} />}
      <Feeds />
    </section>
  );
}

function Results({ answer }: { answer: Answer }) {
  const s = answer.summary;
  return (
    <div class="match-results">
      <p role="status">
        {t('match.summary')
          .replace('{values}', String(s.values))
          .replace('{matched}', String(s.matched))
          .replace('{errors}', String(s.errors))}
      </p>
      <table>
        <thead>
          <tr>
            <th scope="col">{t('match.value')}</th>
            <th scope="col">{t('match.kind')}</th>
            <th scope="col">{t('match.normalized')}</th>
            <th scope="col">{t('match.hits')}</th>
          </tr>
        </thead>
        <tbody>
          {answer.results.map((r) => (
            <tr key={r.index} class={r.error ? 'match-error' : r.hits && r.hits.length ? 'match-hit' : undefined}>
              <td dir="auto">{r.value}</td>
              <td>{r.kind ?? ''}</td>
              <td dir="auto">{r.normalized ?? ''}</td>
              <td>
                {r.error ? (
                  <span class="field-error">{r.error}</span>
                ) : r.hits && r.hits.length ? (
                  <ul>
                    {r.hits.map((h) => (
                      <li key={h.id}>
                        <a href={`#/intel/${encodeURIComponent(h.id)}`}>{h.id}</a> · {h.match}
                        {h.prefix !== undefined ? `/${h.prefix}` : ''} · TLP:{h.tlp.toUpperCase()} · PAP:
                        {h.pap.toUpperCase()}
                        {h.community ? ` · ${t('match.community')} ${h.community}` : ''}
                        {h.confidence !== null ? ` · ${t('match.confidence')} ${h.confidence}` : ''}
                        {h.valid_until ? ` · ${t('match.until')} ${h.valid_until}` : ''}
                      </li>
                    ))}
                  </ul>
                ) : (
                  t('match.noHit')
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Feeds() {
  const base = `${location.origin}/api/v1/feeds`;
  return (
    <section aria-labelledby="feeds-title">
      <h2 id="feeds-title">{t('feeds.title')}</h2>
      <p>{t('feeds.intro')}</p>
      <ul class="feed-urls">
        {FEEDS.map((f) => (
          <li key={f}>
            <strong>{t(`feeds.${f}`)}</strong>: <code>{`${base}/${f}`}</code>
          </li>
        ))}
      </ul>
      <p>{t('feeds.curl')}</p>
      <pre>
        <code>{`curl -H "Authorization: Bearer $TOKEN" -o entente.rpz ${base}/rpz
curl -H "Authorization: Bearer $TOKEN" -H 'If-None-Match: "sha256-…"' ${base}/rpz   # 304`}</code>
      </pre>
      <p>{t('feeds.mispHelp')}</p>
    </section>
  );
}
