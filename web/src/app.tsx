import { useEffect, useState } from 'preact/hooks';
import { api, setCsrf, whenUnauthorized, type Reference, type User } from './api';
import { LANGS, lang, setLang, t, type Lang } from './i18n';
import { go, useRoute } from './router';
import { SignIn } from './screens/signin';
import { Directory } from './screens/directory';
import { OrgPage } from './screens/org';
import { MyOrg } from './screens/myorg';
import { NodePage } from './screens/node';

export interface Session {
  user: User;
  mustEnrol: boolean;
  ref: Reference;
  refresh: () => Promise<void>;
}

export function App() {
  const route = useRoute();
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [expired, setExpired] = useState(false);
  const [, setLangTick] = useState(0);

  const load = async () => {
    try {
      const me = await api('GET', '/api/v1/auth/me');
      setCsrf(me.csrf ?? '');
      const ref = await api<Reference>('GET', '/api/v1/reference');
      setSession({ user: me.user, mustEnrol: !!me.must_enrol_totp, ref, refresh: load });
    } catch {
      setSession(null);
    }
  };
  useEffect(() => {
    whenUnauthorized(() => {
      setExpired(true);
      setSession(null);
    });
    load();
  }, []);

  const switchLang = async (l: Lang) => {
    await setLang(l);
    setLangTick((n) => n + 1);
  };

  const header = (
    <header class="top">
      <a class="skip" href="#main">
        {t('app.skip')}
      </a>
      <div class="brand">
        <span class="logo" aria-hidden="true">
          ◆
        </span>{' '}
        {t('app.title')}
      </div>
      {session && (
        <nav aria-label={t('nav.main')}>
          <a href="#/" aria-current={route[0] === undefined || route[0] === 'orgs' ? 'page' : undefined}>
            {t('nav.directory')}
          </a>
          <a href="#/my" aria-current={route[0] === 'my' ? 'page' : undefined}>
            {t('nav.myorg')}
          </a>
          {session.user.operator && (
            <a href="#/node" aria-current={route[0] === 'node' ? 'page' : undefined}>
              {t('nav.node')}
            </a>
          )}
        </nav>
      )}
      <div class="tools">
        <label for="lang" class="visually-hidden">
          {t('app.language')}
        </label>
        <select id="lang" value={lang()} onChange={(e) => switchLang((e.target as HTMLSelectElement).value as Lang)}>
          {LANGS.map((l) => (
            <option value={l.code} lang={l.code}>
              {l.name}
            </option>
          ))}
        </select>
        {session && (
          <>
            <span class="whoami">
              {session.user.display_name} · {session.user.operator ? t('urole.operator') : t(`urole.${session.user.role}`)}
            </span>
            <button
              type="button"
              class="secondary"
              onClick={async () => {
                try {
                  await api('POST', '/api/v1/auth/logout', {});
                } finally {
                  setCsrf('');
                  setExpired(false);
                  setSession(null);
                  go('/');
                }
              }}
            >
              {t('nav.signout')}
            </button>
          </>
        )}
      </div>
    </header>
  );

  let body;
  if (session === undefined) body = <p>{t('common.loading')}</p>;
  else if (session === null)
    body = (
      <SignIn
        expired={expired}
        onSignedIn={async () => {
          setExpired(false);
          await load();
        }}
      />
    );
  else if (session.mustEnrol || route[0] === 'my') body = <MyOrg session={session} />;
  else if (route[0] === 'orgs' && route[1]) body = <OrgPage session={session} id={route[1]} key={route[1]} />;
  else if (route[0] === 'node' && session.user.operator) body = <NodePage session={session} />;
  else body = <Directory session={session} />;

  return (
    <>
      {header}
      <main id="main" tabIndex={-1}>
        {body}
      </main>
    </>
  );
}
