import { useEffect, useState } from 'preact/hooks';
import { api, type Org, type Page, type User } from '../api';
import type { Session } from '../app';
import { formatDate, nameLang, pickName, t } from '../i18n';
import { Alert, Copyable, errorText, Field, Fingerprint, GroupError, Select } from '../ui';

interface Token {
  id: string;
  name: string;
  scopes: string[];
  created: string;
  expires: string;
  revoked: string | null;
}

export function MyOrg({ session }: { session: Session }) {
  const admin = session.user.role === 'admin' || session.user.operator;
  const [org, setOrg] = useState<Org | null>(null);
  useEffect(() => {
    if (!session.mustEnrol) api<Org>('GET', `/api/v1/orgs/${session.user.org}`).then(setOrg, () => setOrg(null));
  }, [session.mustEnrol]);
  return (
    <section>
      <h1>
        {t('my.title')}
        {org && (
          <span class="subtitle">
            {' — '}
            <bdi lang={nameLang(org.names)}>{pickName(org.names)}</bdi>
          </span>
        )}
      </h1>
      {session.mustEnrol && <Alert kind="info">{t('my.must_enrol')}</Alert>}
      <SecondFactor session={session} />
      {!session.mustEnrol && (
        <>
          {admin && <Users session={session} />}
          <Tokens session={session} />
          {admin && <OrgSecurity session={session} />}
          {admin && <Webhook session={session} />}
          {org && (
            <>
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
              </dl>
            </>
          )}
        </>
      )}
    </section>
  );
}

function Users({ session }: { session: Session }) {
  const [users, setUsers] = useState<User[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [f, setF] = useState({ username: '', display_name: '', password: '', role: 'viewer' });
  const load = () => api<Page<User>>('GET', `/api/v1/orgs/${session.user.org}/users`).then((p) => setUsers(p.items), setError);
  useEffect(() => {
    load();
  }, []);
  const roles = ['viewer', 'analyst', 'officer', 'admin'].map((r) => ({ value: r, label: t(`urole.${r}`) }));
  return (
    <>
      <h2>{t('my.users')}</h2>
      {error !== null && <Alert>{errorText(error)}</Alert>}
      <table class="list">
        <thead>
          <tr>
            <th scope="col">{t('my.username')}</th>
            <th scope="col">{t('my.display_name')}</th>
            <th scope="col">{t('my.role')}</th>
            <th scope="col">{t('my.totp_col')}</th>
            <th scope="col">{t('my.status')}</th>
          </tr>
        </thead>
        <tbody>
          {users.map((u) => (
            <tr key={u.id}>
              <td dir="ltr">{u.username}</td>
              <td dir="auto">{u.display_name}</td>
              <td>
                {u.id === session.user.id ? (
                  t(`urole.${u.role}`)
                ) : (
                  <>
                    <label class="visually-hidden" for={`role-${u.id}`}>
                      {t('my.role')} {u.username}
                    </label>
                    <select
                      id={`role-${u.id}`}
                      value={u.role}
                      onChange={async (e) => {
                        try {
                          await api('PUT', `/api/v1/users/${u.id}`, { role: (e.target as HTMLSelectElement).value });
                          load();
                        } catch (err) {
                          setError(err);
                        }
                      }}
                    >
                      {roles.map((r) => (
                        <option value={r.value}>{r.label}</option>
                      ))}
                    </select>
                  </>
                )}
              </td>
              <td>{u.totp_enabled ? t('common.yes') : t('common.no')}</td>
              <td class="status-cell">
                <span class={u.disabled ? 'badge badge-off' : 'badge badge-on'}>{u.disabled ? t('my.disabled') : t('my.active')}</span>
                {u.id !== session.user.id && (
                  <button
                    type="button"
                    class="secondary small"
                    aria-label={`${u.disabled ? t('my.enable') : t('my.disable')} ${u.username}`}
                    onClick={async () => {
                      try {
                        await api('PUT', `/api/v1/users/${u.id}`, { disabled: !u.disabled });
                        load();
                      } catch (err) {
                        setError(err);
                      }
                    }}
                  >
                    {u.disabled ? t('my.enable') : t('my.disable')}
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <form
        class="card form inline"
        aria-label={t('my.new_user')}
        onSubmit={async (e) => {
          e.preventDefault();
          try {
            await api('POST', `/api/v1/orgs/${session.user.org}/users`, f);
            setF({ username: '', display_name: '', password: '', role: 'viewer' });
            setError(null);
            load();
          } catch (err) {
            setError(err);
          }
        }}
      >
        <h3>{t('my.new_user')}</h3>
        <Field label={t('my.username')} name="username" value={f.username} onInput={(v) => setF({ ...f, username: v })} error={error} required />
        <Field label={t('my.display_name')} name="display_name" value={f.display_name} onInput={(v) => setF({ ...f, display_name: v })} error={error} required />
        <Field label={t('signin.password')} name="password" type="password" value={f.password} onInput={(v) => setF({ ...f, password: v })} error={error} autoComplete="new-password" required />
        <Select label={t('my.role')} name="role" value={f.role} onChange={(v) => setF({ ...f, role: v })} options={roles} />
        <button type="submit">{t('common.create')}</button>
      </form>
    </>
  );
}

function Tokens({ session }: { session: Session }) {
  const [tokens, setTokens] = useState<Token[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [shown, setShown] = useState<string | null>(null);
  const [f, setF] = useState({ name: '', days: '90', scopes: ['read'] as string[] });
  const load = () => api<Page<Token>>('GET', '/api/v1/tokens').then((p) => setTokens(p.items), setError);
  useEffect(() => {
    load();
  }, []);
  void session;
  return (
    <>
      <h2>{t('my.tokens')}</h2>
      {error !== null && <Alert>{errorText(error)}</Alert>}
      {shown && (
        <div class="card secret" role="status">
          <p>{t('my.token_once')}</p>
          <Copyable value={shown} label={t('my.new_token')} />
        </div>
      )}
      <table class="list">
        <thead>
          <tr>
            <th scope="col">{t('my.token_name')}</th>
            <th scope="col">{t('my.scopes')}</th>
            <th scope="col">{t('my.created')}</th>
            <th scope="col">{t('my.expires')}</th>
            <th scope="col">
              <span class="visually-hidden">{t('my.revoke')}</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {tokens.length === 0 && (
            <tr>
              <td colSpan={5} class="muted">
                {t('my.no_tokens')}
              </td>
            </tr>
          )}
          {tokens.map((tk) => (
            <tr key={tk.id}>
              <td dir="auto">{tk.name}</td>
              <td>{tk.scopes.map((s) => t(`scope.${s}`)).join(', ')}</td>
              <td>{formatDate(tk.created)}</td>
              <td>{tk.revoked ? <span class="badge badge-off">{t('my.revoked')}</span> : formatDate(tk.expires)}</td>
              <td>
                {!tk.revoked && (
                  <button
                    type="button"
                    class="danger small"
                    aria-label={`${t('my.revoke')} ${tk.name}`}
                    onClick={async () => {
                      try {
                        await api('DELETE', `/api/v1/tokens/${tk.id}`);
                        load();
                      } catch (err) {
                        setError(err);
                      }
                    }}
                  >
                    {t('my.revoke')}
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <form
        class="card form inline"
        aria-label={t('my.new_token')}
        onSubmit={async (e) => {
          e.preventDefault();
          try {
            const r = await api('POST', '/api/v1/tokens', { name: f.name, scopes: f.scopes, expires_in_days: Number(f.days) });
            setShown(r.token);
            setF({ ...f, name: '' });
            setError(null);
            load();
          } catch (err) {
            setError(err);
          }
        }}
      >
        <h3>{t('my.new_token')}</h3>
        <Field label={t('my.token_name')} name="name" value={f.name} onInput={(v) => setF({ ...f, name: v })} error={error} required />
        <Field label={t('my.expires_days')} name="expires_in_days" type="number" value={f.days} onInput={(v) => setF({ ...f, days: v })} error={error} />
        <fieldset>
          <legend>{t('my.scopes')}</legend>
          {['read', 'write', 'admin'].map((s) => (
            <label class="check">
              <input
                type="checkbox"
                name={`scope-${s}`}
                checked={f.scopes.includes(s)}
                onChange={(e) => setF({ ...f, scopes: (e.target as HTMLInputElement).checked ? [...f.scopes, s] : f.scopes.filter((x) => x !== s) })}
              />{' '}
              {t(`scope.${s}`)}
            </label>
          ))}
          <GroupError error={error} paths="scopes" />
        </fieldset>
        <button type="submit">{t('common.create')}</button>
      </form>
    </>
  );
}

function OrgSecurity({ session }: { session: Session }) {
  const [require, setRequire] = useState<boolean | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    api('GET', `/api/v1/orgs/${session.user.org}/settings`).then((s) => setRequire(s.require_totp), setError);
  }, []);
  return (
    <>
      <h2>{t('my.security')}</h2>
      {error !== null && <Alert>{errorText(error)}</Alert>}
      {require !== null && (
        <label class="check">
          <input
            type="checkbox"
            checked={require}
            onChange={async (e) => {
              const v = (e.target as HTMLInputElement).checked;
              try {
                await api('PUT', `/api/v1/orgs/${session.user.org}/settings`, { require_totp: v });
                setRequire(v);
              } catch (err) {
                setError(err);
              }
            }}
          />{' '}
          {t('my.require_totp')}
        </label>
      )}
    </>
  );
}

function SecondFactor({ session }: { session: Session }) {
  const [setup, setSetup] = useState<{ secret: string; uri: string } | null>(null);
  const [code, setCode] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState<'on' | 'off' | null>(null);
  const enabled = session.user.totp_enabled;
  return (
    <>
      <h2>{t('my.totp')}</h2>
      {done && <Alert kind="ok">{done === 'on' ? t('my.totp_enabled') : t('my.totp_removed')}</Alert>}
      <p>{enabled ? t('my.totp_on') : t('my.totp_off')}</p>
      {error !== null && <Alert>{errorText(error)}</Alert>}
      {!enabled && !setup && (
        <button
          type="button"
          onClick={async () => {
            setError(null);
            try {
              setSetup(await api('POST', '/api/v1/auth/totp/setup', {}));
            } catch (err) {
              setError(err);
            }
          }}
        >
          {t('my.totp_setup')}
        </button>
      )}
      {(setup || enabled) && (
        <form
          class="card form"
          aria-label={t('my.totp')}
          onSubmit={async (e) => {
            e.preventDefault();
            setError(null);
            try {
              await api('POST', enabled ? '/api/v1/auth/totp/disable' : '/api/v1/auth/totp/enable', { code: code.replace(/\s/g, '') });
              setSetup(null);
              setCode('');
              await session.refresh();
              setDone(enabled ? 'off' : 'on');
            } catch (err) {
              setError(err);
            }
          }}
        >
          {setup && (
            <>
              <p>{t('my.totp_secret')}</p>
              <dl class="facts">
                <dt>{t('my.totp_key')}</dt>
                <dd>
                  <Copyable value={(setup.secret.match(/.{1,4}/g) ?? []).join(' ')} label={t('my.totp_key')} />
                </dd>
                <dt>{t('my.totp_uri')}</dt>
                <dd>
                  <Copyable value={setup.uri} label={t('my.totp_uri')} class="uri" />
                </dd>
              </dl>
            </>
          )}
          {!setup && <p>{t('my.totp_disable_help')}</p>}
          <div class="inline-row">
            <Field
              label={t('signin.totp')}
              name="code"
              value={code}
              onInput={setCode}
              inputMode="numeric"
              autoComplete="one-time-code"
              dir="ltr"
              error={error}
              paths={['code', 'totp']}
              required
            />
            <button type="submit" class={enabled ? 'danger' : undefined}>
              {enabled ? t('my.totp_disable') : t('my.totp_enable')}
            </button>
          </div>
        </form>
      )}
    </>
  );
}

// Where the node posts notices of new messages, reminders and escalations
// for the organisation (never their content). The signing secret is shown
// once, when the address is set.
function Webhook({ session }: { session: Session }) {
  const [url, setUrl] = useState<string | null | undefined>(undefined);
  const [value, setValue] = useState('');
  const [secret, setSecret] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [removed, setRemoved] = useState(false);
  const path = `/api/v1/orgs/${session.user.org}/webhook`;
  useEffect(() => {
    api<{ url: string | null }>('GET', path).then((r) => {
      setUrl(r.url);
      setValue(r.url ?? '');
    }, setError);
  }, []);
  return (
    <>
      <h2>{t('hook.title')}</h2>
      <p class="muted">{t('hook.help')}</p>
      {error !== null && <Alert>{errorText(error)}</Alert>}
      {removed && <Alert kind="ok">{t('hook.removed')}</Alert>}
      {secret && (
        <div class="card secret" role="status">
          <p>{t('hook.secret_once')}</p>
          <Copyable value={secret} label={t('hook.secret')} />
        </div>
      )}
      {url !== undefined && (
        <form
          class="card form inline"
          aria-label={t('hook.title')}
          onSubmit={async (e) => {
            e.preventDefault();
            setError(null);
            setRemoved(false);
            try {
              const r = await api<{ url: string; secret: string }>('PUT', path, { url: value.trim() });
              setUrl(r.url);
              setSecret(r.secret);
            } catch (err) {
              setError(err);
            }
          }}
        >
          <Field label={t('hook.url')} name="url" type="url" inputMode="url" value={value} onInput={setValue} help={url ? t('hook.current', { url }) : t('hook.none')} error={error} dir="ltr" required />
          <button type="submit">{t('common.save')}</button>
          {url && (
            <button
              type="button"
              class="danger"
              onClick={async () => {
                setError(null);
                try {
                  await api('DELETE', path);
                  setUrl(null);
                  setValue('');
                  setSecret(null);
                  setRemoved(true);
                } catch (err) {
                  setError(err);
                }
              }}
            >
              {t('hook.remove')}
            </button>
          )}
        </form>
      )}
    </>
  );
}
