// "Verify": fetches the receipt of an envelope and checks it here, in the
// browser, against the node's public key (verify.ts), then says what it found.
import { useState } from 'preact/hooks';
import { api, ApiError, getOrg } from './api';
import { formatDate, formatNumber, t } from './i18n';
import { errorText } from './ui';
import { verifyReceipt, type Verdict } from './verify';

let nodeKey: Promise<string> | null = null;
function nodePublicKey(): Promise<string> {
  if (!nodeKey) {
    nodeKey = api<{ public_key: string }>('GET', '/api/v1/node').then((n) => n.public_key);
    nodeKey.catch(() => (nodeKey = null));
  }
  return nodeKey;
}

// Checks the receipt of `envelope`; the author organisation's signature too
// when the directory knows its key.
export async function verifyEnvelope(envelope: string): Promise<Verdict> {
  const [receipt, key] = await Promise.all([api('GET', `/api/v1/log/receipt/${encodeURIComponent(envelope)}`), nodePublicKey()]);
  let authorKey: string | undefined;
  const author = receipt?.envelope?.author_org;
  if (typeof author === 'string') {
    try {
      authorKey = (await getOrg(author)).sign_public;
    } catch {
      authorKey = undefined;
    }
  }
  return verifyReceipt(receipt, key, envelope, authorKey);
}

// A Verify button; the result appears in `Result` (rendered by the caller
// where it fits, e.g. under a table row) through `onResult`.
export type VerifyState = { busy: true } | { verdict: Verdict } | { error: unknown } | null;

export function useVerify(envelope: string): [VerifyState, () => Promise<void>] {
  const [state, setState] = useState<VerifyState>(null);
  const run = async () => {
    setState({ busy: true });
    try {
      setState({ verdict: await verifyEnvelope(envelope) });
    } catch (e) {
      setState({ error: e });
    }
  };
  return [state, run];
}

export function VerifyButton({ run, busy, label }: { run: () => void; busy: boolean; label: string }) {
  return (
    <button type="button" class="secondary small" onClick={run} disabled={busy} aria-label={label}>
      {t('verify.button')}
    </button>
  );
}

export function VerifyResult({ state }: { state: VerifyState }) {
  if (!state) return null;
  if ('busy' in state)
    return (
      <p role="status" class="muted verify-result">
        {t('verify.checking')}
      </p>
    );
  if ('error' in state) {
    const e = state.error;
    return (
      <p role="status" class="verify-result verify-bad">
        {e instanceof ApiError && e.problem.status === 404 ? t('verify.no_receipt') : errorText(e)}
      </p>
    );
  }
  const v = state.verdict;
  return (
    <div role="status" class={`verify-result ${v.valid ? 'verify-ok' : 'verify-bad'}`}>
      <p>
        <strong>{v.valid ? t('verify.valid') : t('verify.invalid')}</strong>
        {v.valid ? ` — ${t('verify.valid_help')}` : ` — ${t(`verify.why.${v.failure ?? 'malformed'}`)}`}
      </p>
      {v.leaf_index !== undefined && (
        <dl class="facts compact">
          <dt>{t('verify.leaf_index')}</dt>
          <dd>{formatNumber(v.leaf_index)}</dd>
          <dt>{t('verify.tree_size')}</dt>
          <dd>{formatNumber(v.tree_size!)}</dd>
          <dt>{t('verify.root')}</dt>
          <dd>
            <code dir="ltr">{v.root_hash}</code>
          </dd>
          <dt>{t('verify.signed_at')}</dt>
          <dd>{formatDate(new Date(v.timestamp!).toISOString())}</dd>
          {v.valid && (
            <>
              <dt>{t('verify.author')}</dt>
              <dd>{t(`verify.author.${v.author_signature ?? 'unchecked'}`)}</dd>
            </>
          )}
        </dl>
      )}
    </div>
  );
}
