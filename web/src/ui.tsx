import type { ComponentChildren } from 'preact';
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
  required?: boolean;
  autoComplete?: string;
  inputMode?: 'numeric' | 'text';
}) {
  const id = `f-${props.name}`;
  const bad = fieldOf(props.error)?.split(/[.[]/)[0] === props.name;
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
        aria-invalid={bad ? 'true' : undefined}
        aria-describedby={props.help ? `${id}-help` : undefined}
        onInput={(e) => props.onInput((e.target as HTMLInputElement).value)}
      />
      {props.help && (
        <small id={`${id}-help`} class="help">
          {props.help}
        </small>
      )}
      {bad && <small class="field-error">{errorText(props.error)}</small>}
    </div>
  );
}

export function Select(props: {
  label: string;
  name: string;
  value: string;
  onChange: (v: string) => void;
  options: { value: string; label: string }[];
  any?: boolean;
}) {
  const id = `s-${props.name}`;
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      <select id={id} name={props.name} value={props.value} onChange={(e) => props.onChange((e.target as HTMLSelectElement).value)}>
        {props.any && <option value="">{t('common.any')}</option>}
        {props.options.map((o) => (
          <option value={o.value}>{o.label}</option>
        ))}
      </select>
    </div>
  );
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
