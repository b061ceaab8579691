import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, setCsrf } from '../api';
import { t } from '../i18n';
import { Alert, errorText, Field } from '../ui';

export type Notice = 'expired' | 'signedout' | null;

export function SignIn({ notice, onSignedIn }: { notice: Notice; onSignedIn: () => Promise<void> }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [totp, setTotp] = useState('');
  const [needTotp, setNeedTotp] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const form = useRef<HTMLFormElement>(null);

  // When the code field appears, it takes the focus.
  useEffect(() => {
    if (needTotp) form.current?.querySelector<HTMLInputElement>('#f-totp')?.focus();
  }, [needTotp]);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const body: Record<string, string> = { username, password };
      if (needTotp && totp) body.totp = totp.replace(/\s/g, '');
      const r = await api('POST', '/api/v1/auth/login', body);
      setCsrf(r.csrf);
      setPassword('');
      setTotp('');
      await onSignedIn();
    } catch (err) {
      if (err instanceof ApiError && err.problem.field === 'totp' && !needTotp) setNeedTotp(true);
      else setError(err);
    } finally {
      setBusy(false);
    }
  };

  const message = (): string => {
    if (!(error instanceof ApiError)) return errorText(error);
    if (error.problem.field === 'totp') return t('signin.totp_wrong');
    if (error.problem.status === 401) return t('signin.failed');
    return errorText(error);
  };

  return (
    <section class="card narrow signin">
      <h1>{t('signin.title')}</h1>
      <p class="muted">{t('signin.intro')}</p>
      {notice === 'expired' && <Alert kind="info">{t('signin.expired')}</Alert>}
      {notice === 'signedout' && <Alert kind="ok">{t('signin.signed_out')}</Alert>}
      {error !== null && <Alert>{message()}</Alert>}
      <form ref={form} onSubmit={submit}>
        <Field label={t('signin.username')} name="username" value={username} onInput={setUsername} required autoComplete="username" dir="ltr" />
        <Field label={t('signin.password')} name="password" type="password" value={password} onInput={setPassword} required autoComplete="current-password" />
        {needTotp && (
          <Field
            label={t('signin.totp')}
            name="totp"
            value={totp}
            onInput={setTotp}
            help={t('signin.totp_help')}
            inputMode="numeric"
            autoComplete="one-time-code"
            dir="ltr"
            required
          />
        )}
        <button type="submit" class="wide" disabled={busy}>
          {t('signin.submit')}
        </button>
      </form>
    </section>
  );
}
