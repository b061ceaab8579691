import { useState } from 'preact/hooks';
import { api, ApiError, setCsrf } from '../api';
import { t } from '../i18n';
import { Alert, errorText, Field } from '../ui';

export function SignIn({ expired, onSignedIn }: { expired: boolean; onSignedIn: () => Promise<void> }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [totp, setTotp] = useState('');
  const [needTotp, setNeedTotp] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const body: Record<string, string> = { username, password };
      if (needTotp && totp) body.totp = totp;
      const r = await api('POST', '/api/v1/auth/login', body);
      setCsrf(r.csrf);
      setPassword('');
      await onSignedIn();
    } catch (err) {
      if (err instanceof ApiError && err.problem.field === 'totp' && !needTotp) setNeedTotp(true);
      else setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="card narrow">
      <h1>{t('signin.title')}</h1>
      {expired && <Alert kind="info">{t('signin.expired')}</Alert>}
      {error !== null && <Alert>{errorText(error)}</Alert>}
      <form onSubmit={submit}>
        <Field label={t('signin.username')} name="username" value={username} onInput={setUsername} required autoComplete="username" />
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
            required
          />
        )}
        <button type="submit" disabled={busy}>
          {t('signin.submit')}
        </button>
      </form>
    </section>
  );
}
