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
  lang?: string;
  maxLength?: number;
  min?: string;
  max?: string;
  // Enter runs this instead of submitting the form (a search inside a form).
  onEnter?: () => void;
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
        lang={props.lang}
        maxLength={props.maxLength}
        min={props.min}
        max={props.max}
        onKeyDown={
          props.onEnter
            ? (e) => {
                if (e.key === 'Enter') {
                  e.preventDefault();
                  props.onEnter!();
                }
              }
            : undefined
        }
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
  help?: string;
  // A first, empty option with this text (e.g. "Not set").
  empty?: string;
  required?: boolean;
}) {
  const id = props.id ?? `s-${props.name}`;
  const bad = errorFor(props.error, props.paths ?? props.name);
  const described = [props.help ? `${id}-help` : '', bad ? `${id}-error` : ''].filter(Boolean).join(' ');
  return (
    <div class={`field${bad ? ' field-bad' : ''}`}>
      <label for={id}>{props.label}</label>
      <select
        id={id}
        name={props.name}
        value={props.value}
        required={props.required}
        aria-invalid={bad ? 'true' : undefined}
        aria-describedby={described || undefined}
        onChange={(e) => props.onChange((e.target as HTMLSelectElement).value)}
      >
        {props.any && <option value="">{t('common.any')}</option>}
        {props.empty !== undefined && <option value="">{props.empty}</option>}
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

// Free text over several lines, tagged with the language it is written in.
export function TextArea(props: {
  label: string;
  name: string;
  value: string;
  onInput: (v: string) => void;
  help?: string;
  error?: unknown;
  paths?: string | string[];
  required?: boolean;
  maxLength?: number;
  lang?: string;
  id?: string;
}) {
  const id = props.id ?? `t-${props.name}`;
  const bad = errorFor(props.error, props.paths ?? props.name);
  const described = [props.help ? `${id}-help` : '', bad ? `${id}-error` : ''].filter(Boolean).join(' ');
  return (
    <div class={`field${bad ? ' field-bad' : ''}`}>
      <label for={id}>{props.label}</label>
      <textarea
        id={id}
        name={props.name}
        value={props.value}
        rows={5}
        required={props.required}
        maxLength={props.maxLength}
        lang={props.lang}
        dir="auto"
        aria-invalid={bad ? 'true' : undefined}
        aria-describedby={described || undefined}
        onInput={(e) => props.onInput((e.target as HTMLTextAreaElement).value)}
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

// The first of several errors (the form's own checks, or the server's one)
// that belongs to an input answering for `paths`.
export function pickError(errors: unknown[], paths: string | string[], exact = false): unknown {
  return errors.find((e) => errorFor(e, paths, exact) !== null) ?? null;
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
