// Writing a message: a form generated from the chosen template (kind,
// recipients and their contacts, TLP and PAP, the language of the text, then
// each field of the template by its type), the answer form of a thread, and
// the organisation picker that the communication checks use too.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, getOrg, type Org, type Page, type Poc } from '../api';
import type { Session } from '../app';
import { canAct, label, templates, type FieldSpec, type MessageSummary, type Template, type Templates } from '../comms';
import { countryName, countryOptions, lang, languageName, nameLang, pickName, sectorGroups, t } from '../i18n';
import { OrgLabel } from '../orgname';
import { go } from '../router';
import { Alert, errorFor, errorText, Field, GroupError, pickError, Select, TextArea } from '../ui';

export type Values = Record<string, any>;

// An error found before sending, in the form of the server's (a problem naming a field).
const missing = (field: string, detail = t('compose.required')) => new ApiError({ status: 0, detail, field });

// A datetime-local value (the reader's local time) as UTC RFC 3339.
export function localToUtc(local: string): string | null {
  if (!local) return null;
  const d = new Date(local);
  if (Number.isNaN(d.getTime())) return null;
  return d.toISOString().replace(/\.000Z$/, 'Z');
}

// The template's fields as the API takes them: optional fields left empty are
// omitted (never null). Returns the errors of required fields left empty.
export function buildFields(tpl: Template, v: Values): { fields: Values; errors: ApiError[] } {
  const fields: Values = {};
  const errors: ApiError[] = [];
  for (const f of tpl.fields) {
    const at = `fields.${f.name}`;
    const value = v[f.name];
    switch (f.type) {
      case 'choice':
      case 'poc':
      case 'line':
      case 'text': {
        const s = typeof value === 'string' ? value : '';
        if (s.trim()) fields[f.name] = f.type === 'line' ? s.trim() : s;
        else if (f.required) errors.push(missing(at));
        break;
      }
      case 'rsit': {
        const c = value?.class ?? '';
        const ty = value?.type ?? '';
        if (c && ty) fields[f.name] = { class: c, type: ty };
        else if (c) errors.push(missing(`${at}.type`));
        else if (f.required) errors.push(missing(`${at}.class`));
        break;
      }
      case 'sectors':
      case 'countries': {
        const list: string[] = Array.isArray(value) ? value : [];
        if (list.length) fields[f.name] = list;
        else if (f.required) errors.push(missing(at));
        break;
      }
      case 'time_window': {
        const start = localToUtc(value?.start ?? '');
        const end = localToUtc(value?.end ?? '');
        if (value?.start && !start) errors.push(missing(`${at}.start`, t('compose.bad_time')));
        else if (value?.end && !end) errors.push(missing(`${at}.end`, t('compose.bad_time')));
        else if (start) fields[f.name] = end ? { start, end } : { start };
        else if (end) errors.push(missing(`${at}.start`));
        else if (f.required) errors.push(missing(`${at}.start`));
        break;
      }
      case 'stix_bundle': {
        if (value?.error) errors.push(missing(at, value.error));
        else if (value?.data) fields[f.name] = value.data;
        else if (f.required) errors.push(missing(at));
        break;
      }
    }
  }
  return { fields, errors };
}

// Moves the focus to the first input in error once the errors are shown.
function useFocusFirstError(errors: unknown[], form: { current: HTMLFormElement | null }) {
  useEffect(() => {
    if (errors.length) form.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }, [errors]);
}

// The organisation's own points of contact (for "reply to").
function useOwnPocs(session: Session): Poc[] {
  const [pocs, setPocs] = useState<Poc[]>([]);
  useEffect(() => {
    api<Page<Poc>>('GET', `/api/v1/orgs/${session.user.org}/pocs?limit=200`).then(
      (p) => setPocs(p.items.filter((x) => !x.erased)),
      () => setPocs([]),
    );
  }, []);
  return pocs;
}

const pocName = (p: Poc) => (p.name ? `${p.name} — ${p.function_title}` : p.function_title);

// One input per field of the template, by type.
export function TemplateFields(props: { tpl: Template; tx: Templates; values: Values; set: (name: string, v: any) => void; errors: unknown[]; session: Session; textLang: string; ownPocs: Poc[]; idPrefix: string }) {
  const { tpl, tx, values, set, errors, session, textLang, ownPocs, idPrefix } = props;
  return (
    <>
      {tpl.fields.map((f) => (
        <FieldInput key={f.name} f={f} tx={tx} value={values[f.name]} set={(v) => set(f.name, v)} errors={errors} session={session} textLang={textLang} ownPocs={ownPocs} id={`${idPrefix}-${f.name}`} />
      ))}
    </>
  );
}

function FieldInput({ f, tx, value, set, errors, session, textLang, ownPocs, id }: { f: FieldSpec; tx: Templates; value: any; set: (v: any) => void; errors: unknown[]; session: Session; textLang: string; ownPocs: Poc[]; id: string }) {
  const at = `fields.${f.name}`;
  const name = f.label + (f.required ? ` ${t('compose.required_mark')}` : '');
  const error = pickError(errors, at);
  switch (f.type) {
    case 'choice': {
      const vocab: string[] = (tx.vocabularies as any)[f.vocabulary ?? ''] ?? [];
      return (
        <Select id={id} label={name} name={f.name} value={value ?? ''} onChange={set} help={f.help} error={error} paths={at} empty={t('compose.choose')} required={f.required} options={vocab.map((v) => ({ value: v, label: label(tx, f.vocabulary ?? '', v) }))} />
      );
    }
    case 'rsit': {
      const v = value ?? { class: '', type: '' };
      const classes = Object.keys(tx.vocabularies.rsit);
      return (
        <fieldset>
          <legend>{name}</legend>
          {f.help && <p class="help">{f.help}</p>}
          <div class="pair">
            <Select
              id={`${id}-class`}
              label={label(tx, 'field', 'classification.class')}
              name={`${f.name}-class`}
              value={v.class}
              onChange={(c) => set({ class: c, type: '' })}
              error={pickError(errors, `${at}.class`)}
              paths={`${at}.class`}
              empty={t('compose.choose')}
              options={classes.map((c) => ({ value: c, label: label(tx, 'rsit_class', c) }))}
            />
            <Select
              id={`${id}-type`}
              label={label(tx, 'field', 'classification.type')}
              name={`${f.name}-type`}
              value={v.type}
              onChange={(ty) => set({ ...v, type: ty })}
              error={pickError(errors, `${at}.type`)}
              paths={`${at}.type`}
              empty={v.class ? t('compose.choose') : t('compose.class_first')}
              options={(tx.vocabularies.rsit[v.class] ?? []).map((ty) => ({ value: ty, label: label(tx, 'rsit_type', ty) }))}
            />
          </div>
          <GroupError error={error} paths={at} exact />
        </fieldset>
      );
    }
    case 'sectors': {
      const chosen: string[] = value ?? [];
      return (
        <fieldset>
          <legend>{name}</legend>
          {f.help && <p class="help">{f.help}</p>}
          {sectorGroups(session.ref.sectors).map((g) => (
            <fieldset class="inner">
              <legend>{g.label}</legend>
              <div class="sectors">
                {g.options.map((s) => (
                  <label class="check">
                    <input
                      type="checkbox"
                      checked={chosen.includes(s.value)}
                      onChange={(e) => set((e.target as HTMLInputElement).checked ? [...chosen, s.value] : chosen.filter((x) => x !== s.value))}
                    />{' '}
                    {s.label}
                  </label>
                ))}
              </div>
            </fieldset>
          ))}
          <GroupError error={error} paths={at} />
        </fieldset>
      );
    }
    case 'countries':
      return <CountriesInput f={f} name={name} value={value ?? []} set={set} errors={errors} session={session} id={id} />;
    case 'time_window': {
      const v = value ?? { start: '', end: '' };
      return (
        <fieldset>
          <legend>{name}</legend>
          <p class="help" id={`${id}-tz`}>
            {t('compose.local_time', { zone: Intl.DateTimeFormat().resolvedOptions().timeZone })}
          </p>
          <div class="pair">
            <Field id={`${id}-start`} type="datetime-local" label={label(tx, 'field', 'window.start')} name={`${f.name}-start`} value={v.start} onInput={(s) => set({ ...v, start: s })} error={pickError(errors, `${at}.start`)} paths={`${at}.start`} />
            <Field id={`${id}-end`} type="datetime-local" label={label(tx, 'field', 'window.end')} name={`${f.name}-end`} value={v.end} onInput={(s) => set({ ...v, end: s })} error={pickError(errors, `${at}.end`)} paths={`${at}.end`} />
          </div>
          <GroupError error={error} paths={at} exact />
        </fieldset>
      );
    }
    case 'line':
      return <Field id={id} label={name} name={f.name} value={value ?? ''} onInput={set} help={f.help} error={error} paths={at} required={f.required} maxLength={f.max_length} lang={textLang} dir="auto" />;
    case 'text':
      return <TextArea id={id} label={name} name={f.name} value={value ?? ''} onInput={set} help={f.help} error={error} paths={at} required={f.required} maxLength={f.max_length} lang={textLang} />;
    case 'stix_bundle':
      return <BundleInput f={f} name={name} value={value} set={set} error={error} id={id} />;
    case 'poc':
      return (
        <Select id={id} label={name} name={f.name} value={value ?? ''} onChange={set} help={f.help} error={error} paths={at} empty={t('compose.none')} options={ownPocs.map((p) => ({ value: p.id, label: pocName(p) }))} />
      );
  }
  return null;
}

// Countries: pick one, add it; each added country can be removed.
function CountriesInput({ f, name, value, set, errors, session, id }: { f: FieldSpec; name: string; value: string[]; set: (v: string[]) => void; errors: unknown[]; session: Session; id: string }) {
  const [pick, setPick] = useState('');
  const at = `fields.${f.name}`;
  const full = f.max_items !== undefined && value.length >= f.max_items;
  return (
    <fieldset>
      <legend>{name}</legend>
      {value.length > 0 && (
        <ul class="chips">
          {value.map((c, i) => (
            <li key={c}>
              <span>{countryName(c)}</span>
              <button type="button" class="secondary small" aria-label={t('compose.remove_item', { name: countryName(c) })} onClick={() => set(value.filter((x) => x !== c))}>
                {t('common.remove')}
              </button>
              <GroupError error={pickError(errors, `${at}[${i}]`)} paths={`${at}[${i}]`} />
            </li>
          ))}
        </ul>
      )}
      <div class="inline-row">
        <Select id={id} label={t('compose.country_pick')} name={`${f.name}-pick`} value={pick} onChange={setPick} empty={t('compose.choose')} options={countryOptions(session.ref.countries).filter((o) => !value.includes(o.value))} />
        <button
          type="button"
          class="secondary"
          disabled={!pick || full}
          onClick={() => {
            set([...value, pick]);
            setPick('');
          }}
        >
          {t('compose.add')}
        </button>
      </div>
      <GroupError error={pickError(errors, at, true)} paths={at} exact />
    </fieldset>
  );
}

// A STIX 2.1 bundle chosen as a .json file, parsed here.
function BundleInput({ f, name, value, set, error, id }: { f: FieldSpec; name: string; value: any; set: (v: any) => void; error: unknown; id: string }) {
  const at = `fields.${f.name}`;
  const input = useRef<HTMLInputElement>(null);
  const bad = errorFor(error, at);
  const read = async (file: File | undefined) => {
    if (!file) return set(undefined);
    try {
      const data = JSON.parse(await file.text());
      if (!data || typeof data !== 'object' || Array.isArray(data) || data.type !== 'bundle') set({ name: file.name, error: t('compose.not_bundle') });
      else set({ name: file.name, data });
    } catch {
      set({ name: file.name, error: t('compose.not_json') });
    }
  };
  // No value prop: setting one would clear the chosen file on every render.
  return (
    <div class={`field${bad ? ' field-bad' : ''}`}>
      <label for={id}>{name}</label>
      <input
        ref={input}
        id={id}
        name={f.name}
        type="file"
        accept=".json,application/json"
        aria-invalid={bad ? 'true' : undefined}
        aria-describedby={[f.help ? `${id}-help` : '', bad ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined}
        onChange={() => read(input.current?.files?.[0])}
      />
      {f.help && (
        <small id={`${id}-help`} class="help">
          {f.help}
        </small>
      )}
      {bad && (
        <small id={`${id}-error`} class="field-error">
          {bad}
        </small>
      )}
      {value?.data && (
        <p class="muted" role="status">
          {t('compose.bundle_read', { name: value.name, n: String(Array.isArray(value.data.objects) ? value.data.objects.length : 0) })}{' '}
          <button
            type="button"
            class="secondary small"
            onClick={() => {
              if (input.current) input.current.value = '';
              set(undefined);
            }}
          >
            {t('common.remove')}
          </button>
        </p>
      )}
    </div>
  );
}

// Organisations picked from a directory search (recipients of a message,
// targets of a check). Errors of `path[i]` are shown next to the i-th one.
export function OrgPicker({ session, chosen, onChange, errors, path, legend, id }: { session: Session; chosen: string[]; onChange: (ids: string[]) => void; errors: unknown[]; path: string; legend: string; id: string }) {
  const [q, setQ] = useState('');
  const [found, setFound] = useState<{ q: string; items: Org[] } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const search = async () => {
    setError(null);
    try {
      const page = await api<Page<Org>>('GET', `/api/v1/orgs?limit=20${q.trim() ? `&q=${encodeURIComponent(q.trim())}` : ''}`);
      setFound({ q, items: page.items });
    } catch (e) {
      setError(e);
    }
  };
  const offered = (found?.items ?? []).filter((o) => o.id !== session.user.org && !chosen.includes(o.id));
  return (
    <fieldset>
      <legend>{legend}</legend>
      {chosen.length === 0 ? (
        <p class="muted">{t('compose.no_recipients')}</p>
      ) : (
        <ul class="chips" aria-label={t('compose.chosen')}>
          {chosen.map((o, i) => (
            <li key={o}>
              <OrgLabel id={o} />
              <RemoveOrg id={o} onClick={() => onChange(chosen.filter((x) => x !== o))} />
              <GroupError error={pickError(errors, `${path}[${i}]`)} paths={`${path}[${i}]`} />
            </li>
          ))}
        </ul>
      )}
      <GroupError error={pickError(errors, path, true)} paths={path} exact />
      <div class="inline-row">
        <Field
          id={`${id}-q`}
          type="search"
          label={t('compose.find_org')}
          name={`${id}-q`}
          value={q}
          onInput={setQ}
          help={t('compose.find_org_help')}
          onEnter={search}
        />
        <button type="button" class="secondary" onClick={search}>
          {t('common.search')}
        </button>
      </div>
      {error !== null && <Alert>{errorText(error)}</Alert>}
      <p class="muted results" role="status">
        {found ? (offered.length ? t('dir.results', { n: String(offered.length) }) : t('common.none')) : ''}
      </p>
      {offered.length > 0 && (
        <ul class="picker" aria-label={t('compose.results')}>
          {offered.map((o) => (
            <li key={o.id}>
              <bdi lang={nameLang(o.names)}>{pickName(o.names)}</bdi>
              {o.country && <span class="muted"> · {countryName(o.country)}</span>}
              <button type="button" class="secondary small" aria-label={t('compose.add_item', { name: pickName(o.names) })} onClick={() => onChange([...chosen, o.id])}>
                {t('compose.add')}
              </button>
            </li>
          ))}
        </ul>
      )}
    </fieldset>
  );
}

function RemoveOrg({ id, onClick }: { id: string; onClick: () => void }) {
  const [name, setName] = useState(id.slice(0, 8));
  useEffect(() => {
    getOrg(id).then((o) => setName(pickName(o.names)), () => {});
  }, [id]);
  return (
    <button type="button" class="secondary small" aria-label={t('compose.remove_item', { name })} onClick={onClick}>
      {t('common.remove')}
    </button>
  );
}

// Contacts of the chosen recipients that the message is addressed to.
function ToPocs({ recipients, chosen, onChange, errors }: { recipients: string[]; chosen: string[]; onChange: (ids: string[]) => void; errors: unknown[] }) {
  const [pocs, setPocs] = useState<Record<string, Poc[]>>({});
  useEffect(() => {
    for (const r of recipients)
      if (!(r in pocs))
        api<Page<Poc>>('GET', `/api/v1/orgs/${r}/pocs?limit=200`).then(
          (p) => setPocs((prev) => ({ ...prev, [r]: p.items.filter((x) => !x.erased) })),
          () => setPocs((prev) => ({ ...prev, [r]: [] })),
        );
  }, [recipients.join()]);
  if (recipients.length === 0) return null;
  return (
    <fieldset>
      <legend>{t('compose.to_pocs')}</legend>
      <p class="help">{t('compose.to_pocs_help')}</p>
      {recipients.map((r) => (
        <fieldset class="inner" key={r}>
          <legend>
            <OrgLabel id={r} />
          </legend>
          {(pocs[r] ?? []).length === 0 && <p class="muted">{t('org.no_contacts')}</p>}
          {(pocs[r] ?? []).map((p) => {
            const i = chosen.indexOf(p.id);
            return (
              <div key={p.id}>
                <label class="check">
                  <input type="checkbox" checked={i >= 0} onChange={(e) => onChange((e.target as HTMLInputElement).checked ? [...chosen, p.id] : chosen.filter((x) => x !== p.id))} /> <bdi>{pocName(p)}</bdi>
                </label>
                {i >= 0 && <GroupError error={pickError(errors, `to_pocs[${i}]`)} paths={`to_pocs[${i}]`} />}
              </div>
            );
          })}
        </fieldset>
      ))}
      <GroupError error={pickError(errors, 'to_pocs', true)} paths="to_pocs" exact />
    </fieldset>
  );
}

// TLP and PAP with the help of the chosen value, and the language of the text.
function Handling({ tx, session, tlp, pap, language, set, errors, idPrefix, tlpOptional }: { tx: Templates; session: Session; tlp: string; pap: string; language: string; set: (k: 'tlp' | 'pap' | 'language', v: string) => void; errors: unknown[]; idPrefix: string; tlpOptional?: string }) {
  const languages = (session.ref.languages ?? []).map((l) => ({ value: l.code, label: languageName(l.code) })).sort((a, b) => a.label.localeCompare(b.label, lang()));
  return (
    <div class="grid2">
      <Select
        id={`${idPrefix}-tlp`}
        label={label(tx, 'field', 'tlp')}
        name="tlp"
        value={tlp}
        onChange={(v) => set('tlp', v)}
        help={tlp ? `${label(tx, 'field_help', 'tlp')} ${label(tx, 'tlp_help', tlp)}` : label(tx, 'field_help', 'tlp')}
        error={pickError(errors, 'tlp')}
        paths="tlp"
        empty={tlpOptional}
        options={tx.vocabularies.tlp.map((v) => ({ value: v, label: label(tx, 'tlp', v) }))}
      />
      <Select
        id={`${idPrefix}-pap`}
        label={label(tx, 'field', 'pap')}
        name="pap"
        value={pap}
        onChange={(v) => set('pap', v)}
        help={pap ? `${label(tx, 'field_help', 'pap')} ${label(tx, 'pap_help', pap)}` : label(tx, 'field_help', 'pap')}
        error={pickError(errors, 'pap')}
        paths="pap"
        empty={t('compose.not_set')}
        options={tx.vocabularies.pap.map((v) => ({ value: v, label: label(tx, 'pap', v) }))}
      />
      <Select id={`${idPrefix}-language`} label={label(tx, 'field', 'language')} name="language" value={language} onChange={(v) => set('language', v)} help={t('compose.language_help')} error={pickError(errors, 'language')} paths="language" options={languages} />
    </div>
  );
}

// Kinds a user writes from this screen (responses are written in a thread,
// communication checks from the checks screen).
const composable = (tx: Templates) => tx.templates.filter((x) => x.kind !== 'response' && x.kind !== 'communication_check');

export function Compose({ session, params }: { session: Session; params: Record<string, string> }) {
  const [tx, setTx] = useState<Templates | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [kind, setKind] = useState(params.kind ?? 'incident_notification');
  const [recipients, setRecipients] = useState<string[]>(params.to ? [params.to] : []);
  const [toPocs, setToPocs] = useState<string[]>([]);
  const [h, setH] = useState({ tlp: 'amber', pap: '', language: lang() as string });
  const [values, setValues] = useState<Values>({});
  const [errors, setErrors] = useState<unknown[]>([]);
  const [busy, setBusy] = useState(false);
  const form = useRef<HTMLFormElement>(null);
  const ownPocs = useOwnPocs(session);
  const uiLang = lang();
  useEffect(() => {
    templates(uiLang).then(setTx, setLoadError);
  }, [uiLang]);
  useFocusFirstError(errors, form);
  if (!canAct(session)) return <Alert>{t('err.forbidden')}</Alert>;
  if (loadError !== null) return <Alert>{errorText(loadError)}</Alert>;
  if (!tx) return <p>{t('common.loading')}</p>;
  const kinds = composable(tx);
  const tpl = kinds.find((x) => x.kind === kind) ?? kinds[0];
  const submit = async (e: Event) => {
    e.preventDefault();
    const { fields, errors: mine } = buildFields(tpl, values);
    if (recipients.length === 0) mine.unshift(missing('recipients', t('compose.need_recipient')));
    setErrors(mine);
    if (mine.length) return;
    const body: Values = { kind: tpl.kind, version: tpl.version, recipients, tlp: h.tlp, language: h.language, fields };
    const pocs = toPocs.filter((p) => p);
    if (pocs.length) body.to_pocs = pocs;
    if (h.pap) body.pap = h.pap;
    setBusy(true);
    try {
      const m = await api<MessageSummary>('POST', '/api/v1/messages', body);
      go(`/messages/${m.id}?sent=1`);
    } catch (err) {
      setErrors([err]);
    } finally {
      setBusy(false);
    }
  };
  const serverError = errors.length === 1 && errors[0] instanceof ApiError && (errors[0] as ApiError).problem.status !== 0;
  return (
    <section>
      <p class="crumbs">
        <a href="#/messages">{t('nav.messages')}</a>
      </p>
      <h1>{t('compose.title')}</h1>
      <form ref={form} class="card form" onSubmit={submit} aria-labelledby="compose-title" noValidate>
        <h2 id="compose-title" class="visually-hidden">
          {t('compose.title')}
        </h2>
        {errors.length > 0 && <Alert>{serverError ? errorText(errors[0]) : t('compose.fix', { n: String(errors.length) })}</Alert>}
        <fieldset>
          <legend>{t('compose.kind')}</legend>
          <div class="kinds">
            {kinds.map((k) => (
              <div class={k.kind === tpl.kind ? 'kind-option chosen' : 'kind-option'} key={k.kind}>
                <input id={`kind-${k.kind}`} type="radio" name="kind" value={k.kind} checked={k.kind === tpl.kind} onChange={() => setKind(k.kind)} aria-describedby={`kind-help-${k.kind}`} />
                <span>
                  <label for={`kind-${k.kind}`}>{k.label}</label>
                  <small id={`kind-help-${k.kind}`} class="help">
                    {k.help}
                  </small>
                </span>
              </div>
            ))}
          </div>
          <GroupError error={pickError(errors, ['kind', 'version'])} paths={['kind', 'version']} />
        </fieldset>
        <OrgPicker session={session} chosen={recipients} onChange={setRecipients} errors={errors} path="recipients" legend={label(tx, 'field', 'recipients') + ` ${t('compose.required_mark')}`} id="recipients" />
        <ToPocs recipients={recipients} chosen={toPocs.filter((p) => p)} onChange={setToPocs} errors={errors} />
        <Handling tx={tx} session={session} tlp={h.tlp} pap={h.pap} language={h.language} set={(k, v) => setH({ ...h, [k]: v })} errors={errors} idPrefix="compose" />
        <TemplateFields tpl={tpl} tx={tx} values={values} set={(n, v) => setValues({ ...values, [n]: v })} errors={errors} session={session} textLang={h.language} ownPocs={ownPocs} idPrefix="compose" />
        <div class="actions">
          <button type="submit" disabled={busy}>
            {t('compose.send')}
          </button>
          <a class="button secondary" href="#/messages">
            {t('common.cancel')}
          </a>
        </div>
      </form>
    </section>
  );
}

// The outcome fields of the response template (version 2) apply to a
// recipient's answer to a request for assistance, the kind abuse reports are
// sent as; within them, the action taken once something was done, and a
// field with `required_when` (the reason) only when its condition holds, and
// then as required. Fields not shown are not sent.
const OUTCOME_FIELDS = ['outcome', 'action_taken', 'reason'];
export function applicableFields(tpl: Template, values: Values, request: boolean): Template {
  const outcome: string = values.outcome ?? '';
  const fields = tpl.fields.flatMap((f) => {
    if (OUTCOME_FIELDS.includes(f.name) && !request) return [];
    if (f.required_when) {
      const holds = Object.entries(f.required_when).every(([other, when]) => when.includes(values[other] ?? ''));
      return holds ? [{ ...f, required: true }] : [];
    }
    if (f.name === 'action_taken') return outcome && outcome !== 'declined' ? [f] : [];
    return [f];
  });
  return { ...tpl, fields };
}

// The answer to a message, from the "response" template.
export function RespondForm({ session, message, onDone }: { session: Session; message: MessageSummary; onDone: (sent: boolean) => void }) {
  const [tx, setTx] = useState<Templates | null>(null);
  const [values, setValues] = useState<Values>({ urgency: message.urgency });
  const [h, setH] = useState({ tlp: '', pap: '', language: lang() as string });
  const [errors, setErrors] = useState<unknown[]>([]);
  const [busy, setBusy] = useState(false);
  const form = useRef<HTMLFormElement>(null);
  const ownPocs = useOwnPocs(session);
  const uiLang = lang();
  useEffect(() => {
    templates(uiLang).then(setTx, (e) => setErrors([e]));
  }, [uiLang]);
  useEffect(() => {
    form.current?.querySelector<HTMLElement>('select, input, textarea')?.focus();
  }, [tx !== null]);
  useFocusFirstError(errors, form);
  // The latest version of the response template (version 2 states an outcome).
  const latest = tx?.templates.filter((x) => x.kind === 'response').sort((a, b) => b.version - a.version)[0];
  if (!tx || !latest) return errors.length ? <Alert>{errorText(errors[0])}</Alert> : <p>{t('common.loading')}</p>;
  const request = message.kind === 'request_for_assistance' && message.author_org !== session.user.org;
  const tpl = applicableFields(latest, values, request);
  const submit = async (e: Event) => {
    e.preventDefault();
    const { fields, errors: mine } = buildFields(tpl, values);
    setErrors(mine);
    if (mine.length) return;
    const body: Values = { language: h.language, fields };
    if (h.tlp) body.tlp = h.tlp;
    if (h.pap) body.pap = h.pap;
    setBusy(true);
    try {
      await api('POST', `/api/v1/messages/${message.id}/respond`, body);
      onDone(true);
    } catch (err) {
      setErrors([err]);
    } finally {
      setBusy(false);
    }
  };
  const serverError = errors.length === 1 && errors[0] instanceof ApiError && (errors[0] as ApiError).problem.status !== 0;
  return (
    <form ref={form} class="card form" onSubmit={submit} aria-labelledby="respond-title" noValidate>
      <h2 id="respond-title">{t('msg.respond_title')}</h2>
      <p class="help">{tpl.help}</p>
      {errors.length > 0 && <Alert>{serverError ? errorText(errors[0]) : t('compose.fix', { n: String(errors.length) })}</Alert>}
      <Handling tx={tx} session={session} tlp={h.tlp} pap={h.pap} language={h.language} set={(k, v) => setH({ ...h, [k]: v })} errors={errors} idPrefix="respond" tlpOptional={t('msg.same_tlp', { tlp: label(tx, 'tlp', message.tlp) })} />
      <TemplateFields tpl={tpl} tx={tx} values={values} set={(n, v) => setValues({ ...values, [n]: v })} errors={errors} session={session} textLang={h.language} ownPocs={ownPocs} idPrefix="respond" />
      <div class="actions">
        <button type="submit" disabled={busy}>
          {t('msg.send_response')}
        </button>
        <button type="button" class="secondary" onClick={() => onDone(false)}>
          {t('common.cancel')}
        </button>
      </div>
    </form>
  );
}
