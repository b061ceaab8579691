// Late acknowledgements and responses (#/overdue): those of one's own
// organisation, sent or received; operators may switch to the whole node
// (#/overdue?scope=node). Refreshed every 15 s while visible.
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';
import type { Session } from '../app';
import { label, poll, type OverdueItem } from '../comms';
import { formatDate, formatDuration, t } from '../i18n';
import { OrgName } from '../orgname';
import { Alert, errorText } from '../ui';
import { UrgencyBadge, useTemplates } from './messages';

export function Overdue({ session, params }: { session: Session; params: Record<string, string> }) {
  const tx = useTemplates();
  const scope = params.scope === 'node' && session.user.operator ? 'node' : 'org';
  const [items, setItems] = useState<{ scope: string; list: OverdueItem[] } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const load = async () => {
      try {
        const r = await api<{ items: OverdueItem[] }>('GET', `/api/v1/overdue?scope=${scope}`);
        setItems({ scope, list: r.items });
        setNow(Date.now());
        setError(null);
      } catch (e) {
        setError(e);
      }
    };
    load();
    return poll(load);
  }, [scope]);
  const list = items?.scope === scope ? items.list : null;
  const me = session.user.org;
  return (
    <section>
      <h1>{t('overdue.title')}</h1>
      <p class="muted">{t('overdue.help')}</p>
      {session.user.operator && (
        <nav class="tabs" aria-label={t('overdue.scope')}>
          <a href="#/overdue" class={scope === 'org' ? 'tab active' : 'tab'} aria-current={scope === 'org' ? 'page' : undefined}>
            {t('overdue.scope_org')}
          </a>
          <a href="#/overdue?scope=node" class={scope === 'node' ? 'tab active' : 'tab'} aria-current={scope === 'node' ? 'page' : undefined}>
            {t('overdue.scope_node')}
          </a>
        </nav>
      )}
      {error !== null && <Alert>{errorText(error)}</Alert>}
      <p class="muted results" role="status">
        {!list ? t('common.loading') : list.length === 0 ? t('overdue.none') : t('overdue.count', { n: String(list.length) })}
      </p>
      {list && list.length > 0 && (
        <table class="list">
          <caption class="visually-hidden">{t('overdue.title')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('overdue.due')}</th>
              <th scope="col">{t('overdue.stage')}</th>
              <th scope="col">{t('msg.urgency')}</th>
              <th scope="col">{t('msg.kind')}</th>
              <th scope="col">{t('msg.from')}</th>
              <th scope="col">{t('overdue.late_org')}</th>
            </tr>
          </thead>
          <tbody>
            {list.map((o) => (
              <tr key={`${o.message}/${o.org}/${o.stage}`} class="row-late">
                <td>
                  {formatDate(o.due)}
                  <br />
                  <small class="late">{t('overdue.late_by', { d: formatDuration(Math.max(0, now - new Date(o.due).getTime())) })}</small>
                </td>
                <td>{t(`msg.stage.${o.stage}`)}</td>
                <td>
                  <UrgencyBadge tx={tx} urgency={o.urgency} />
                </td>
                <td>
                  {o.author_org === me || o.org === me ? <a href={`#/messages/${o.message}`}>{label(tx, 'kind', o.kind)}</a> : label(tx, 'kind', o.kind)}
                </td>
                <td>
                  <OrgName id={o.author_org} />
                </td>
                <td>
                  <OrgName id={o.org} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
