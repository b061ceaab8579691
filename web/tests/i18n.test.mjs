// Every message exists, non-empty, in the six UN languages; every key the
// source uses exists; enumerations the API returns all have labels.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const dir = new URL('../src/i18n/', import.meta.url).pathname;
const LANGS = ['ar', 'zh', 'en', 'fr', 'ru', 'es'];
const cat = Object.fromEntries(LANGS.map((l) => [l, JSON.parse(readFileSync(join(dir, `${l}.json`), 'utf8'))]));

test('every catalogue has exactly the English keys, none empty', () => {
  const keys = Object.keys(cat.en).sort();
  for (const l of LANGS) {
    assert.deepEqual(Object.keys(cat[l]).sort(), keys, `${l}.json keys differ from en.json`);
    for (const k of keys) assert.ok(cat[l][k].trim().length > 0, `${l}: ${k} is empty`);
  }
});

test('translations are translations, and placeholders are kept', () => {
  for (const l of LANGS.filter((x) => x !== 'en')) {
    const same = Object.keys(cat.en).filter((k) => cat[l][k] === cat.en[k] && !['app.title'].includes(k) && cat.en[k].length > 3);
    assert.ok(same.length < 8, `${l}: too many untranslated messages: ${same.join(', ')}`);
    for (const k of Object.keys(cat.en)) {
      for (const ph of cat.en[k].match(/\{\w+\}/g) ?? []) assert.ok(cat[l][k].includes(ph), `${l}: ${k} lost ${ph}`);
    }
  }
});

function sources(d) {
  return readdirSync(d).flatMap((f) => {
    const p = join(d, f);
    return statSync(p).isDirectory() ? sources(p) : /\.tsx?$/.test(f) ? [p] : [];
  });
}

test('every t() key used in the source exists', () => {
  const src = new URL('../src/', import.meta.url).pathname;
  const missing = [];
  for (const file of sources(src)) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/\bt\('([a-z0-9_.-]+)'/g)) if (!(m[1] in cat.en)) missing.push(`${file}: ${m[1]}`);
    // Dynamic keys: t(`kind.${...}`) needs every value of the enumeration.
    for (const m of text.matchAll(/\bt\(`([a-z.]+?)\.\$\{/g)) assert.ok(Object.keys(cat.en).some((k) => k.startsWith(m[1] + '.')), `${file}: no ${m[1]}.* keys`);
  }
  assert.deepEqual(missing, []);
});

// The reasons src/verify.ts gives (its Failure type).
function failures() {
  const src = readFileSync(new URL('../src/verify.ts', import.meta.url), 'utf8');
  const union = src.match(/export type Failure =([^;]+);/)[1];
  const names = [...union.matchAll(/'([a-z0-9_]+)'/g)].map((m) => m[1]);
  assert.ok(names.length >= 5);
  return names;
}

test('every enumeration value of the API has a label', () => {
  const enums = {
    kind: ['state', 'national_csirt', 'regional_org', 'tld_registry', 'registrar', 'law_enforcement', 'ci_operator', 'private_sector', 'civil_society', 'academia'],
    role: ['diplomatic', 'technical', 'law_enforcement'],
    urole: ['viewer', 'analyst', 'officer', 'admin', 'operator'],
    scope: ['read', 'write', 'admin'],
    channel: ['platform', 'email', 'phone'],
    day: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'],
    action: ['create', 'update', 'erase'],
    // Communications: deadlines and reminder stages, what an action did, why
    // a receipt is not valid (src/verify.ts), the author signature's status.
    'msg.stage': ['ack', 'response'],
    'msg.due': ['ack', 'response'],
    'msg.done': ['acknowledged', 'declined', 'closed', 'responded', 'sent'],
    'verify.why': failures(),
    'verify.author': ['valid', 'invalid', 'unchecked'],
    // Federation peers (screens/peers.tsx).
    peerstate: ['active', 'suspended', 'removed'],
    // The sector taxonomies the node ships (data/taxonomies), by group.
    'sector.group': ['nis2', 'dhs'],
    'sector.nis2': ['energy', 'transport', 'banking', 'financial', 'health', 'drinking-water', 'waste-water', 'digital-infrastructure', 'ict-services', 'public-administration', 'space', 'courier', 'waste-management', 'chemical', 'food', 'manufacturing', 'digital-providers', 'research'],
    'sector.dhs': ['chemical', 'commercial-facilities', 'communications', 'critical-manufacturing', 'dams', 'dib', 'emergency-services', 'energy', 'financial-services', 'food-agriculture', 'government-facilities', 'healthcare-public', 'it', 'nuclear', 'transport', 'water'],
  };
  for (const [prefix, values] of Object.entries(enums))
    for (const v of values) for (const l of LANGS) assert.ok(cat[l][`${prefix}.${v}`], `${l}: ${prefix}.${v} missing`);
});
