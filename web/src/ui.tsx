import type { ComponentChildren } from 'preact';
import { useRef, useState } from 'preact/hooks';
import { ApiError } from './api';
import { t } from './i18n';

// Turns an API error into a message; field errors name the field.
export function errorText(e: unknown): string {
  if (e instanceof ApiError) {
    const p = e.problem;
    if (p.field) return t('err.field', { detail: `${p.field} — ${p.detail}` });
    if (p.status === 403) return t('err.forbidden');
    if (p.status === 404) return t('err.notfound');
    if (p.status === 409) return t('err.conflict');
    if (p.status === 429) return t('err.ratelimited');
    return p.detail || t('common.error');
  }
  return t('common.error');
}

export function fieldOf(e: unknown): string | undefined {
  return e instanceof ApiError ? e.problem.field : undefined;
}

// Does the problem's field ("hours.start", "channels[1].value", "names.fr")
// belong to an input that answers for `paths`? A path matches itself and
// anything below it.
export function errorFor(e: unknown, paths: string | string[], exact = false): string | null {
  const f = fieldOf(e);
  if (!f) return null;
  for (const p of Array.isArray(paths) ? paths : [paths])
    if (f === p || (!exact && (f.startsWith(p + '.') || f.startsWith(p + '['))))
      return t('err.field', { detail: (e as ApiError).problem.detail });
  return null;
}

export function Alert({ kind = 'error', children }: { kind?: 'error' | 'info' | 'ok'; children: ComponentChildren }) {
  return (
    <p class={`alert alert-${kind}`} role={kind === 'error' ? 'alert' : 'status'}>
      {children}
    </p>
  );
}

let counter = 0;
export function useId(prefix: string): string {
  return `${prefix}-${++counter}`;
}

export function Field(props: {
  label: string;
  name: string;
  value: string;
  onInput: (v: string) => void;
  type?: string;
  help?: string;
  error?: unknown;
  // Server field paths this input answers for (default: its name).
  paths?: string | string[];
  required?: boolean;
  autoComplete?: string;
  inputMode?: 'numeric' | 'text' | 'url' | 'email' | 'tel';
  dir?: 'ltr' | 'rtl' | 'auto';
  id?: string;
}) {
  const id = props.id ?? `f-${props.name}`;
  const bad = errorFor(props.error, props.paths ?? props.name);
  const described = [props.help ? `${id}-help` : '', bad ? `${id}-error` : ''].filter(Boolean).join(' ');
  return (
    <div class={`field${bad ? ' field-bad' : ''}`}>
      <label for={id}>{props.label}</label>
      <input
        id={id}
        name={props.name}
        type={props.type ?? 'text'}
        value={props.value}
        required={props.required}
        autoComplete={props.autoComplete}
        inputMode={props.inputMode}
        dir={props.dir}
        aria-invalid={bad ? 'true' : undefined}
        aria-describedby={described || undefined}
        onInput={(e) => props.onInput((e.target as HTMLInputElement).value)}
      />
      {props.help && (
        <small id={`${id}-help`} class="help">
          {props.help}
        </small>
      )}
      {bad && (
        <small id={`${id}-error`} class="field-error">
          {bad}
        </small>
      )}
    </div>
  );
}

export function Select(props: {
  label: string;
  name: string;
  value: string;
  onChange: (v: string) => void;
  options?: { value: string; label: string }[];
  groups?: { label: string; options: { value: string; label: string }[] }[];
  any?: boolean;
  error?: unknown;
  paths?: string | string[];
  id?: string;
}) {
  const id = props.id ?? `s-${props.name}`;
  const bad = errorFor(props.error, props.paths ?? props.name);
  return (
    <div class={`field${bad ? ' field-bad' : ''}`}>
      <label for={id}>{props.label}</label>
      <select
        id={id}
        name={props.name}
        value={props.value}
        aria-invalid={bad ? 'true' : undefined}
        aria-describedby={bad ? `${id}-error` : undefined}
        onChange={(e) => props.onChange((e.target as HTMLSelectElement).value)}
      >
        {props.any && <option value="">{t('common.any')}</option>}
        {(props.options ?? []).map((o) => (
          <option value={o.value}>{o.label}</option>
        ))}
        {(props.groups ?? []).map((g) => (
          <optgroup label={g.label}>
            {g.options.map((o) => (
              <option value={o.value}>{o.label}</option>
            ))}
          </optgroup>
        ))}
      </select>
      {bad && (
        <small id={`${id}-error`} class="field-error">
          {bad}
        </small>
      )}
    </div>
  );
}

// An error that belongs to a group of inputs (a fieldset).
export function GroupError({ error, paths, exact }: { error: unknown; paths: string | string[]; exact?: boolean }) {
  const bad = errorFor(error, paths, exact);
  return bad ? <p class="field-error">{bad}</p> : null;
}

// A key fingerprint in groups of four, for reading aloud over the phone.
export function Fingerprint({ hex }: { hex: string }) {
  const groups = hex.match(/.{1,4}/g) ?? [];
  return (
    <code class="fingerprint" dir="ltr">
      {groups.join(' ')}
    </code>
  );
}

// A secret or key shown for copying, with a copy button and a spoken
// confirmation.
export function Copyable({ value, label, class: cls = 'token-value' }: { value: string; label?: string; class?: string }) {
  const [copied, setCopied] = useState(false);
  const ref = useRef<HTMLElement>(null);
  return (
    <span class="copyable">
      <code ref={ref} dir="ltr" class={cls}>
        {value}
      </code>
      <button
        type="button"
        class="secondary small"
        aria-label={label ? `${t('common.copy')}: ${label}` : undefined}
        onClick={async () => {
          try {
            await navigator.clipboard.writeText(value);
            setCopied(true);
          } catch {
            // No clipboard here: select the text so that it can be copied by hand.
            if (ref.current) getSelection()?.selectAllChildren(ref.current);
          }
        }}
      >
        {t('common.copy')}
      </button>
      <span role="status" class="muted">
        {copied ? t('common.copied') : ''}
      </span>
    </span>
  );
}
