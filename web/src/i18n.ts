// Message catalogues in the six UN languages. English is bundled; the others
// load on demand. The chosen language is remembered in localStorage (the
// only thing the console stores there; never a secret).
import en from './i18n/en.json';

export type Lang = 'ar' | 'zh' | 'en' | 'fr' | 'ru' | 'es';
export const LANGS: { code: Lang; name: string }[] = [
  { code: 'ar', name: 'العربية' },
  { code: 'zh', name: '中文' },
  { code: 'en', name: 'English' },
  { code: 'fr', name: 'Français' },
  { code: 'ru', name: 'Русский' },
  { code: 'es', name: 'Español' },
];
const loaders: Record<Lang, () => Promise<Record<string, string>>> = {
  en: async () => en,
  ar: () => import('./i18n/ar.json').then((m) => m.default),
  zh: () => import('./i18n/zh.json').then((m) => m.default),
  fr: () => import('./i18n/fr.json').then((m) => m.default),
  ru: () => import('./i18n/ru.json').then((m) => m.default),
  es: () => import('./i18n/es.json').then((m) => m.default),
};

let current: Lang = 'en';
let messages: Record<string, string> = en;

export function lang(): Lang {
  return current;
}

export function initialLang(): Lang {
  const saved = localStorage.getItem('entente.lang') as Lang | null;
  if (saved && saved in loaders) return saved;
  const nav = (navigator.language || 'en').slice(0, 2) as Lang;
  return nav in loaders ? nav : 'en';
}

export async function setLang(l: Lang): Promise<void> {
  messages = await loaders[l]();
  current = l;
  localStorage.setItem('entente.lang', l);
  document.documentElement.lang = l;
  document.documentElement.dir = l === 'ar' ? 'rtl' : 'ltr';
}

export function t(key: string, vars: Record<string, string> = {}): string {
  let s = messages[key] ?? (en as Record<string, string>)[key] ?? key;
  for (const [k, v] of Object.entries(vars)) s = s.replace(`{${k}}`, v);
  return s;
}

export function formatDate(iso: string): string {
  if (!iso) return '';
  return new Intl.DateTimeFormat(current, { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso));
}

export function formatNumber(n: number): string {
  return new Intl.NumberFormat(current).format(n);
}

// ISO 3166-1 user-assigned codes (AA, QM-QZ, XA-XZ, ZZ) name no country;
// ICU maps some of them to pseudo-locales, so show the code itself.
const USER_ASSIGNED = /^(AA|ZZ|Q[M-Z]|X[A-Z])$/;

export function countryName(code?: string): string {
  if (!code) return '';
  if (USER_ASSIGNED.test(code)) return code;
  try {
    return new Intl.DisplayNames([current], { type: 'region' }).of(code) ?? code;
  } catch {
    return code;
  }
}

export function languageName(tag: string): string {
  try {
    return new Intl.DisplayNames([current], { type: 'language' }).of(tag) ?? tag;
  } catch {
    return tag;
  }
}

// The organisation's name in the reader's language, else English, else any.
export function pickName(names: Record<string, string>): string {
  return names[nameLang(names)] ?? '';
}

// The language of the name pickName shows (for the lang attribute).
export function nameLang(names: Record<string, string>): string {
  return current in names ? current : 'en' in names ? 'en' : Object.keys(names)[0] ?? current;
}

// Countries for a picker: the ISO 3166-1 list by name in the reader's
// language, then the user-assigned codes (exercises and fictional data).
export function countryOptions(countries: { code: string; name: string }[]): { value: string; label: string }[] {
  const named = countries
    .filter((c) => !USER_ASSIGNED.test(c.code))
    .map((c) => ({ value: c.code, label: countryName(c.code) || c.name }))
    .sort((a, b) => a.label.localeCompare(b.label, current));
  const codes = ['AA', ...'MNOPQRSTUVWXYZ'.split('').map((c) => `Q${c}`), ...'ABCDEFGHIJKLMNOPQRSTUVWXYZ'.split('').map((c) => `X${c}`), 'ZZ'];
  return [...named, ...codes.map((c) => ({ value: c, label: t('country.user_assigned', { code: c }) }))];
}

// Sectors (NIS2 and US DHS taxonomies) by name in the reader's language,
// grouped by taxonomy; the server's English name when no label exists.
export function sectorName(code: string, fallback?: string): string {
  const key = `sector.${code.replace(':', '.')}`;
  const s = t(key);
  return s === key ? fallback ?? code : s;
}

export function sectorGroups(sectors: { code: string; name: string }[]): { label: string; options: { value: string; label: string }[] }[] {
  return ['nis2', 'dhs']
    .map((g) => ({
      label: t(`sector.group.${g}`),
      options: sectors
        .filter((s) => s.code.startsWith(g + ':'))
        .map((s) => ({ value: s.code, label: sectorName(s.code, s.name) }))
        .sort((a, b) => a.label.localeCompare(b.label, current)),
    }))
    .filter((g) => g.options.length > 0);
}

// A share (0..1) as a percentage in the reader's language.
export function formatPercent(x: number): string {
  return new Intl.NumberFormat(current, { style: 'percent', maximumFractionDigits: 1 }).format(x);
}

// A duration in the largest unit that keeps it readable (seconds, minutes, hours).
export function formatDuration(ms: number): string {
  const [value, unit] = ms < 60_000 ? [ms / 1000, 'second'] : ms < 3_600_000 ? [ms / 60_000, 'minute'] : [ms / 3_600_000, 'hour'];
  return new Intl.NumberFormat(current, { style: 'unit', unit, unitDisplay: 'short', maximumFractionDigits: unit === 'second' ? 0 : 1 }).format(value);
}
