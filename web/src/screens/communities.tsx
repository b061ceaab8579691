// Communities of trust (docs/intel.md), loaded lazily: the communities the
// user's organisation is in or invited to, creating one with its charter,
// and one community's page (charter, members with their pending vouches and
// removal votes, invite, vouch, vote to remove, leave). Only members see
// the members; the API answers 404 to anyone else.
import { useEffect, useState } from 'preact/hooks';
import { api, type Org, type Page } from '../api';
import { formatDate, pickName, t } from '../i18n';
import { go } from '../router';
import { OrgLabel, OrgName } from '../orgname';
import { Alert, Field, Select, errorText } from '../ui';
import type { Session } from '../app';

export interface Charter {
  name: string;
  purpose: string;
  allowed_kinds: string[];
  max_tlp: string;
  default_pap: string;
  vouches_required: number;
  single_sponsor: boolean;
}
export interface Member {
  org: string;
  status: 'invited' | 'active' | 'left' | 'removed';
  invited_by?: string;
  since: number;
  vouches?: string[];
  removal_votes?: string[];
}
export interface Community {
  id: string;
  charter: Charter;
  created_by: string;
  created: number;
  my_status: 'invited' | 'active';
  members?: Member[];
}

export const TLPS = ['clear', 'green', 'amber', 'amber+strict', 'red'];
const PAPS = ['clear', 'green', 'amber', 'red'];
const canManage = (s: Session) => s.user.role === 'officer' || s.user.role === 'admin';

export function Communities({ session, id }: { session: Session; id?: string }) {
  return id ? <CommunityPage session={session} id={id} key={id} /> : <CommunityList session={session} />;
}

function CommunityList({ session }: { session: Session }) {
  const [items, setItems] = useState<Community[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    api<{ items: Community[] }>('GET', '/api/v1/communities').then((r) => setItems(r.items), setError);
  }, []);
  return (
    <section>
      <h1>{t('community.title')}</h1>
      <p>{t('community.intro')}</p>
      {error && <Alert>{errorText(error)}</Alert>}
      {items === null && !error && <p>{t('common.loading')}</p>}
      {items && items.length === 0 && <p>{t('community.none')}</p>}
      {items && items.length > 0 && (
        <table id="community-list">
          <thead>
            <tr>
              <th scope="col">{t('community.name')}</th>
              <th scope="col">{t('community.my_status')}</th>
              <th scope="col">{t('community.max_tlp')}</th>
              <th scope="col">{t('community.vouches_required')}</th>
            </tr>
          </thead>
          <tbody>
            {items.map((c) => (
              <tr>
                <th scope="row">
                  <a href={`#/communities/${c.id}`} dir="auto">
                    {c.charter.name}
                  </a>
                </th>
                <td>{t(`community.status_${c.my_status}`)}</td>
                <td>
                  <Tlp tlp={c.charter.max_tlp} />
                </td>
                <td>{c.charter.vouches_required}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {canManage(session) && <CreateCommunity session={session} />}
    </section>
  );
}

export function Tlp({ tlp }: { tlp: string | null }) {
  if (!tlp) return <span class="tlp tlp-none">{t('intel.tlp_none')}</span>;
  return <span class={`tlp tlp-${tlp.replace('+', '-')}`}>TLP:{tlp.toUpperCase()}</span>;
}

function CreateCommunity({ session }: { session: Session }) {
  const [name, setName] = useState('');
  const [purpose, setPurpose] = useState('');
  const [kinds, setKinds] = useState<string[]>([]);
  const [maxTlp, setMaxTlp] = useState('amber');
  const [pap, setPap] = useState('green');
  const [vouches, setVouches] = useState('2');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const n = Number(vouches);
      const body: Record<string, unknown> = {
        name,
        purpose,
        allowed_kinds: kinds,
        max_tlp: maxTlp,
        default_pap: pap,
        vouches_required: n,
      };
      if (n === 1) body.single_sponsor = true;
      const c = await api<Community>('POST', '/api/v1/communities', body);
      go(`/communities/${c.id}`);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form onSubmit={submit} aria-labelledby="community-create-title" class="panel">
      <h2 id="community-create-title">{t('community.create')}</h2>
      <Field label={t('community.name')} name="name" value={name} onInput={setName} error={error} required maxLength={200} />
      <Field label={t('community.purpose')} name="purpose" value={purpose} onInput={setPurpose} error={error} required maxLength={4000} />
      <fieldset>
        <legend>{t('community.allowed_kinds')}</legend>
        {session.ref.org_kinds.map((k) => (
          <label class="check">
            <input
              type="checkbox"
              checked={kinds.includes(k)}
              onChange={(e) => setKinds((e.target as HTMLInputElement).checked ? [...kinds, k] : kinds.filter((x) => x !== k))}
            />{' '}
            {t(`kind.${k}`)}
          </label>
        ))}
      </fieldset>
      <Select label={t('community.max_tlp')} name="max_tlp" value={maxTlp} onChange={setMaxTlp} error={error} options={TLPS.map((x) => ({ value: x, label: `TLP:${x.toUpperCase()}` }))} />
      <Select label={t('community.default_pap')} name="default_pap" value={pap} onChange={setPap} error={error} options={PAPS.map((x) => ({ value: x, label: `PAP:${x.toUpperCase()}` }))} />
      <Field
        label={t('community.vouches_required')}
        name="vouches_required"
        type="number"
        min="1"
        max="50"
        value={vouches}
        onInput={setVouches}
        error={error}
        help={t('community.vouches_help')}
      />
      {error && <Alert>{errorText(error)}</Alert>}
      <button type="submit" disabled={busy}>
        {t('community.create')}
      </button>
    </form>
  );
}

function CommunityPage({ session, id }: { session: Session; id: string }) {
  const [c, setC] = useState<Community | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState('');
  const load = () => api<Community>('GET', `/api/v1/communities/${id}`).then(setC, setError);
  useEffect(() => {
    load();
  }, [id]);
  const act = async (path: string, message: string, body?: unknown) => {
    setError(null);
    setDone('');
    try {
      const r = await api<Community>('POST', `/api/v1/communities/${id}${path}`, body ?? {});
      setDone(message);
      if (r.my_status === 'active') setC(r);
      else go('/communities');
    } catch (err) {
      setError(err);
    }
  };
  if (!c) return error ? <Alert>{errorText(error)}</Alert> : <p>{t('common.loading')}</p>;
  const me = session.user.org;
  const manage = canManage(session) && c.my_status === 'active';
  return (
    <section>
      <p>
        <a href="#/communities">{t('community.back')}</a>
      </p>
      <h1 dir="auto">{c.charter.name}</h1>
      {done && <Alert kind="ok">{done}</Alert>}
      {error && <Alert>{errorText(error)}</Alert>}
      <h2>{t('community.charter')}</h2>
      <dl class="facts">
        <dt>{t('community.purpose')}</dt>
        <dd dir="auto">{c.charter.purpose}</dd>
        <dt>{t('community.allowed_kinds')}</dt>
        <dd>{c.charter.allowed_kinds.map((k) => t(`kind.${k}`)).join(', ')}</dd>
        <dt>{t('community.max_tlp')}</dt>
        <dd>
          <Tlp tlp={c.charter.max_tlp} />
        </dd>
        <dt>{t('community.default_pap')}</dt>
        <dd>PAP:{c.charter.default_pap.toUpperCase()}</dd>
        <dt>{t('community.vouches_required')}</dt>
        <dd>{c.charter.single_sponsor ? t('community.single_sponsor') : c.charter.vouches_required}</dd>
        <dt>{t('community.created')}</dt>
        <dd>
          {formatDate(new Date(c.created).toISOString())} · <OrgName id={c.created_by} />
        </dd>
        <dt>{t('community.my_status')}</dt>
        <dd>{t(`community.status_${c.my_status}`)}</dd>
      </dl>
      {c.my_status === 'invited' && <Alert kind="info">{t('community.invited_note')}</Alert>}
      {c.members && (
        <>
          <h2 id="members-title">{t('community.members')}</h2>
          <table id="community-members" aria-labelledby="members-title">
            <thead>
              <tr>
                <th scope="col">{t('community.org')}</th>
                <th scope="col">{t('community.status')}</th>
                <th scope="col">{t('community.votes')}</th>
                {manage && <th scope="col">{t('community.actions')}</th>}
              </tr>
            </thead>
            <tbody>
              {c.members
                .filter((m) => m.status === 'active' || m.status === 'invited')
                .map((m) => {
                  const votes = m.status === 'invited' ? m.vouches ?? [] : m.removal_votes ?? [];
                  return (
                    <tr>
                      <th scope="row">
                        <OrgName id={m.org} />
                      </th>
                      <td>{t(`community.status_${m.status}`)}</td>
                      <td>
                        {votes.length > 0 &&
                          t(m.status === 'invited' ? 'community.vouched_by' : 'community.removal_by', { n: String(votes.length) })}
                      </td>
                      {manage && (
                        <td>
                          {m.status === 'invited' && !votes.includes(me) && (
                            <button type="button" onClick={() => act(`/invitations/${m.org}/vouch`, t('community.vouched'))}>
                              {t('community.vouch')} <span class="visually-hidden"><OrgLabel id={m.org} /></span>
                            </button>
                          )}
                          {m.status === 'active' && m.org !== me && !votes.includes(me) && (
                            <button type="button" class="secondary" onClick={() => act(`/members/${m.org}/remove`, t('community.remove_voted'))}>
                              {t('community.remove')} <span class="visually-hidden"><OrgLabel id={m.org} /></span>
                            </button>
                          )}
                        </td>
                      )}
                    </tr>
                  );
                })}
            </tbody>
          </table>
          {manage && <Invite kinds={c.charter.allowed_kinds} members={c.members} onInvite={(org) => act('/invitations', t('community.invited'), { org })} />}
          {manage && (
            <p>
              <button
                type="button"
                class="danger"
                onClick={() => {
                  if (confirm(t('community.leave_confirm'))) act('/leave', t('community.left'));
                }}
              >
                {t('community.leave')}
              </button>
            </p>
          )}
        </>
      )}
    </section>
  );
}

// Organisations of the allowed kinds that are not members or invited.
function Invite({ kinds, members, onInvite }: { kinds: string[]; members: Member[]; onInvite: (org: string) => void }) {
  const [orgs, setOrgs] = useState<Org[]>([]);
  const [org, setOrg] = useState('');
  useEffect(() => {
    Promise.all(kinds.map((k) => api<Page<Org>>('GET', `/api/v1/orgs?kind=${encodeURIComponent(k)}&limit=200`))).then(
      (pages) => setOrgs(pages.flatMap((p) => p.items)),
      () => setOrgs([]),
    );
  }, [kinds.join(',')]);
  const taken = new Set(members.filter((m) => m.status === 'active' || m.status === 'invited').map((m) => m.org));
  const options = orgs.filter((o) => !taken.has(o.id)).map((o) => ({ value: o.id, label: pickName(o.names) }));
  return (
    <form
      class="panel"
      aria-labelledby="invite-title"
      onSubmit={(e) => {
        e.preventDefault();
        if (org) onInvite(org);
      }}
    >
      <h2 id="invite-title">{t('community.invite')}</h2>
      <p>{t('community.invite_help')}</p>
      <Select label={t('community.org')} name="org" value={org} onChange={setOrg} options={options} empty={t('community.choose_org')} />
      <button type="submit" disabled={!org}>
        {t('community.invite')}
      </button>
    </form>
  );
}
