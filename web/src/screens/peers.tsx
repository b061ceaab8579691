// Federation peers of this node (operators): this node's fingerprint to give
// to peers out of band, peering with a node by URL and fingerprint, each
// peer's state, cursor and counters of what was refused, suspend / resume /
// remove / sync now, and the alerts of the transparency gossip.
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';
import { formatDate, formatNumber, t } from '../i18n';
import { Alert, errorText, Field, Fingerprint } from '../ui';

interface Peer {
  node_id: string;
  base_url: string;
  state: 'active' | 'suspended' | 'removed';
  cursor: number;
  applied: number;
  received: number;
  rejected: Record<string, number>;
  failures: number;
  last_error: string;
  last_success: string | null;
}

interface FedAlert {
  id: string;
  log_node: string;
  kind: string;
  detail: string;
  created: string;
}

export function Peers() {
  const [peers, setPeers] = useState<Peer[] | null>(null);
  const [alerts, setAlerts] = useState<FedAlert[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [formError, setFormError] = useState<unknown>(null);
  const [notice, setNotice] = useState('');
  const [f, setF] = useState({ url: '', fingerprint: '' });
  const load = async () => {
    try {
      setPeers((await api<{ items: Peer[] }>('GET', '/api/v1/federation/peers')).items);
      setAlerts((await api<{ items: FedAlert[] }>('GET', '/api/v1/federation/alerts')).items);
    } catch (e) {
      setError(e);
    }
  };
  useEffect(() => {
    load();
  }, []);
  const act = async (id: string, method: string, path: string, done: string) => {
    try {
      await api(method, `/api/v1/federation/peers/${id}${path}`);
      setNotice(done);
      setError(null);
      load();
    } catch (e) {
      setError(e);
    }
  };
  return (
    <section aria-labelledby="peers-title">
      <h2 id="peers-title">{t('peers.title')}</h2>
      <p class="muted">{t('peers.help')}</p>
      {error !== null && <Alert>{errorText(error)}</Alert>}
      {notice && <Alert kind="ok">{notice}</Alert>}
      {peers === null ? (
        <p>{t('common.loading')}</p>
      ) : peers.length === 0 ? (
        <p>{t('peers.none')}</p>
      ) : (
        <table class="list">
          <caption class="visually-hidden">{t('peers.title')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('peers.node')}</th>
              <th scope="col">{t('peers.state')}</th>
              <th scope="col">{t('peers.applied')}</th>
              <th scope="col">{t('peers.rejected')}</th>
              <th scope="col">{t('peers.last_error')}</th>
              <th scope="col">{t('peers.actions')}</th>
            </tr>
          </thead>
          <tbody>
            {peers.map((p) => (
              <tr key={p.node_id}>
                <td>
                  <div dir="ltr">{p.base_url}</div>
                  <Fingerprint hex={p.node_id} />
                </td>
                <td>{t(`peerstate.${p.state}`)}</td>
                <td>
                  {formatNumber(p.applied)}
                  <div class="muted">{t('peers.cursor', { cursor: formatNumber(p.cursor) })}</div>
                  {p.last_success && <div class="muted">{formatDate(p.last_success)}</div>}
                </td>
                <td>
                  {Object.keys(p.rejected).length === 0
                    ? formatNumber(0)
                    : Object.entries(p.rejected).map(([reason, n]) => (
                        <div key={reason}>
                          <code dir="ltr">{reason}</code> {formatNumber(n)}
                        </div>
                      ))}
                </td>
                <td dir="auto">{p.last_error || '—'}</td>
                <td>
                  {p.state === 'active' ? (
                    <>
                      <button type="button" onClick={() => act(p.node_id, 'POST', '/sync', t('peers.synced'))}>
                        {t('peers.sync')}
                      </button>{' '}
                      <button type="button" onClick={() => act(p.node_id, 'POST', '/suspend', t('peers.suspended'))}>
                        {t('peers.suspend')}
                      </button>
                    </>
                  ) : (
                    <button type="button" onClick={() => act(p.node_id, 'POST', '/resume', t('peers.resumed'))}>
                      {t('peers.resume')}
                    </button>
                  )}{' '}
                  {p.state !== 'removed' && (
                    <button type="button" class="danger" onClick={() => act(p.node_id, 'DELETE', '', t('peers.removed'))}>
                      {t('common.remove')}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form
        class="card form"
        aria-label={t('peers.add')}
        onSubmit={async (e) => {
          e.preventDefault();
          try {
            await api('POST', '/api/v1/federation/peers', f);
            setF({ url: '', fingerprint: '' });
            setFormError(null);
            setNotice(t('peers.added'));
            load();
          } catch (err) {
            setFormError(err);
          }
        }}
      >
        <h3>{t('peers.add')}</h3>
        {formError !== null && <Alert>{errorText(formError)}</Alert>}
        <Field label={t('peers.url')} name="url" value={f.url} onInput={(v) => setF({ ...f, url: v })} error={formError} inputMode="url" dir="ltr" required />
        <Field
          label={t('peers.fingerprint')}
          name="fingerprint"
          value={f.fingerprint}
          help={t('peers.fingerprint_help')}
          onInput={(v) => setF({ ...f, fingerprint: v })}
          error={formError}
          dir="ltr"
          required
        />
        <button type="submit">{t('peers.add')}</button>
      </form>
      <h3>{t('peers.alerts')}</h3>
      {alerts.length === 0 ? (
        <p>{t('peers.no_alerts')}</p>
      ) : (
        <ul>
          {alerts.map((a) => (
            <li key={a.id}>
              <Alert>
                {t('peers.alert', { when: formatDate(a.created) })} <Fingerprint hex={a.log_node} /> <span dir="ltr">{a.detail}</span>
              </Alert>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
