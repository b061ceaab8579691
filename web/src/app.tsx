import { useEffect, useRef, useState } from 'preact/hooks';
import { api, forgetOrgs, setCsrf, whenUnauthorized, type Reference, type User } from './api';
import { LANGS, lang, setLang, t, type Lang } from './i18n';
import { go, useRoute } from './router';
import { SignIn, type Notice } from './screens/signin';
import { Directory } from './screens/directory';
import { OrgPage } from './screens/org';
import { MyOrg } from './screens/myorg';
import { NodePage } from './screens/node';
import { MessageList, Thread, forgetMessages } from './screens/messages';
import { Compose } from './screens/compose';
import { Overdue } from './screens/overdue';
import { Checks, CheckReportPage } from './screens/checks';
import { canAct, canCheck, canRead } from './comms';

export interface Session {
  user: User;
  mustEnrol: boolean;
  ref: Reference;
  refresh: () => Promise<void>;
}

export function App() {
  const route = useRoute();
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [notice, setNotice] = useState<Notice>(null);
  const [, setLangTick] = useState(0);
  // Only a session that existed can expire: a first visit is not "expired".
  const signedIn = useRef(false);
  // Signing out (or losing the session) makes any load still under way stale.
  const generation = useRef(0);

  const load = async () => {
    const gen = generation.current;
    try {
      const me = await api('GET', '/api/v1/auth/me');
      const ref = await api<Reference>('GET', '/api/v1/reference');
      if (gen !== generation.current) return;
      setCsrf(me.csrf ?? '');
      signedIn.current = true;
      setSession({ user: me.user, mustEnrol: !!me.must_enrol_totp, ref, refresh: load });
    } catch {
      if (gen === generation.current) setSession(null);
    }
  };
  // The node this console belongs to, shown in the header on every screen.
  const [node, setNode] = useState<{ base_url: string; id: string } | null>(null);
  useEffect(() => {
    api('GET', '/api/v1/node').then(setNode, () => setNode(null));
  }, []);
  useEffect(() => {
    whenUnauthorized(() => {
      // The route stays in the address: signing in again returns to it.
      if (signedIn.current) setNotice('expired');
      signedIn.current = false;
      generation.current++;
      setCsrf('');
      forgetOrgs();
      forgetMessages();
      setSession(null);
    });
    load();
  }, []);

  const signOut = async () => {
    generation.current++;
    try {
      await api('POST', '/api/v1/auth/logout', {});
    } catch {
      // Signed out either way.
    }
    signedIn.current = false;
    setCsrf('');
    forgetOrgs();
    forgetMessages();
    setNotice('signedout');
    setSession(null);
    go('/');
  };

  const switchLang = async (l: Lang) => {
    await setLang(l);
    setLangTick((n) => n + 1);
  };

  const section = route.path[0] ?? '';
  const inDirectory = section === '' || section === 'contacts' || section === 'orgs';

  // Until a required second factor is enrolled, only My organisation is open
  // (and stays in place once it is).
  const mustEnrol = !!session?.mustEnrol;
  useEffect(() => {
    if (mustEnrol && section !== 'my') go('/my');
  }, [mustEnrol, section]);

  // Moving to another screen moves the focus to its content (not for a new
  // search on the same screen), so that screen readers announce it.
  const screen = route.path.join('/');
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    document.getElementById('main')?.focus();
  }, [screen]);

  let body;
  let title = t('app.title');
  if (session === undefined) body = <p>{t('common.loading')}</p>;
  else if (session === null) {
    title = t('signin.title');
    body = (
      <SignIn
        notice={notice}
        onSignedIn={async () => {
          setNotice(null);
          await load();
          document.getElementById('main')?.focus();
        }}
      />
    );
  } else if (session.mustEnrol || section === 'my') {
    title = t('my.title');
    body = <MyOrg session={session} />;
  } else if (section === 'orgs' && route.path[1]) {
    title = t('org.title');
    body = <OrgPage session={session} id={route.path[1]} key={route.path[1]} />;
  } else if (section === 'node' && session.user.operator) {
    title = t('node.title');
    body = <NodePage session={session} />;
  } else if (section === 'messages' && canRead(session) && route.path[1]) {
    title = t('msg.thread');
    body = <Thread session={session} id={route.path[1]} params={route.params} key={route.path[1]} />;
  } else if (section === 'messages' && canRead(session)) {
    title = t('msg.title');
    body = <MessageList session={session} params={route.params} />;
  } else if (section === 'compose' && canAct(session)) {
    title = t('compose.title');
    body = <Compose session={session} params={route.params} />;
  } else if (section === 'overdue' && canRead(session)) {
    title = t('overdue.title');
    body = <Overdue session={session} params={route.params} />;
  } else if (section === 'checks' && canCheck(session) && route.path[1]) {
    title = t('checks.report');
    body = <CheckReportPage session={session} id={route.path[1]} key={route.path[1]} />;
  } else if (section === 'checks' && canCheck(session)) {
    title = t('checks.title');
    body = <Checks session={session} />;
  } else if (section === 'intel' && canRead(session)) {
    title = t('intel.title');
    body = <LazyIntel session={session} path={route.path} params={route.params} />;
  } else if (section === 'communities' && canRead(session)) {
    title = t('community.title');
    body = <LazyCommunities session={session} id={route.path[1]} />;
  } else if (section === 'match' && canRead(session)) {
    title = t('match.title');
    body = <LazyMatch session={session} />;
  } else if (section === 'dns') {
    title = t('dns.title');
    body = <LazyDns session={session} />;
  } else {
    title = t('dir.title');
    body = <Directory session={session} tab={section === 'contacts' ? 'pocs' : 'orgs'} params={route.params} />;
  }
  useEffect(() => {
    document.title = `${title} — ${t('app.title')}`;
  });

  const roleLabel = session ? (session.user.operator ? t('urole.operator') : t(`urole.${session.user.role}`)) : '';
  return (
    <>
      <header class="top">
        <a class="skip" href="#main" onClick={(e) => {
          e.preventDefault();
          document.getElementById('main')?.focus();
        }}>
          {t('app.skip')}
        </a>
        <div class="brand">
          <span class="logo" aria-hidden="true">
            ◆
          </span>{' '}
          {t('app.title')}
          {node && (
            <span class="node-name" title={`${t('app.node')} ${node.id}`}>
              <span class="visually-hidden">{t('app.node')} </span>
              <bdi dir="ltr">{nodeHost(node.base_url)}</bdi>
            </span>
          )}
        </div>
        {session && (
          <nav aria-label={t('nav.main')}>
            <a href="#/" aria-current={inDirectory ? 'page' : undefined}>
              {t('nav.directory')}
            </a>
            {canRead(session) && (
              <>
                <a href="#/messages" aria-current={section === 'messages' || section === 'compose' ? 'page' : undefined}>
                  {t('nav.messages')}
                </a>
                <a href="#/overdue" aria-current={section === 'overdue' ? 'page' : undefined}>
                  {t('nav.overdue')}
                </a>
              </>
            )}
            {canRead(session) && (
              <>
                <a href="#/intel" aria-current={section === 'intel' ? 'page' : undefined}>
                  {t('intel.nav')}
                </a>
                <a href="#/communities" aria-current={section === 'communities' ? 'page' : undefined}>
                  {t('community.nav')}
                </a>
                <a href="#/match" aria-current={section === 'match' ? 'page' : undefined}>
                  {t('match.nav')}
                </a>
              </>
            )}
            {canCheck(session) && (
              <a href="#/checks" aria-current={section === 'checks' ? 'page' : undefined}>
                {t('nav.checks')}
              </a>
            )}
            <a href="#/dns" aria-current={section === 'dns' ? 'page' : undefined}>
              {t('dns.nav')}
            </a>
            <a href="#/my" aria-current={section === 'my' ? 'page' : undefined}>
              {t('nav.myorg')}
            </a>
            {session.user.operator && (
              <a href="#/node" aria-current={section === 'node' ? 'page' : undefined}>
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
                <span dir="auto">{session.user.display_name || session.user.username}</span>
                {session.user.display_name !== roleLabel && <span class="role-badge">{roleLabel}</span>}
              </span>
              <button type="button" class="on-dark" onClick={signOut}>
                {t('nav.signout')}
              </button>
            </>
          )}
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {body}
      </main>
    </>
  );
}

// The DNS abuse screens load on first use (tests/size.test.mjs keeps the first load small).
function LazyDns({ session }: { session: Session }) {
  const [Screen, setScreen] = useState<typeof import('./screens/dns').Dns | null>(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    import('./screens/dns').then(
      (m) => setScreen(() => m.Dns),
      () => setFailed(true),
    );
  }, []);
  if (failed) return <p role="alert">{t('common.error')}</p>;
  return Screen ? <Screen session={session} /> : <p>{t('common.loading')}</p>;
}

// The intelligence browser and the communities load on first use too.
function LazyIntel(props: { session: Session; path: string[]; params: Record<string, string> }) {
  const [Screen, setScreen] = useState<typeof import('./screens/intel').Intel | null>(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    import('./screens/intel').then(
      (m) => setScreen(() => m.Intel),
      () => setFailed(true),
    );
  }, []);
  if (failed) return <p role="alert">{t('common.error')}</p>;
  return Screen ? <Screen {...props} /> : <p>{t('common.loading')}</p>;
}

// Matching and feeds load on first use too.
function LazyMatch(props: { session: Session }) {
  const [Screen, setScreen] = useState<typeof import('./screens/match').Match | null>(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    import('./screens/match').then(
      (m) => setScreen(() => m.Match),
      () => setFailed(true),
    );
  }, []);
  if (failed) return <p role="alert">{t('common.error')}</p>;
  return Screen ? <Screen {...props} /> : <p>{t('common.loading')}</p>;
}

function LazyCommunities(props: { session: Session; id?: string }) {
  const [Screen, setScreen] = useState<typeof import('./screens/communities').Communities | null>(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    import('./screens/communities').then(
      (m) => setScreen(() => m.Communities),
      () => setFailed(true),
    );
  }, []);
  if (failed) return <p role="alert">{t('common.error')}</p>;
  return Screen ? <Screen {...props} /> : <p>{t('common.loading')}</p>;
}

function nodeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
