import { useEffect, useState } from 'preact/hooks';
import { getOrg } from './api';
import { nameLang, pickName } from './i18n';

// An organisation's name in the reader's language and the language it is in.
export function useOrgName(id: string): [string, string] | null {
  const [name, setName] = useState<[string, string] | null>(null);
  useEffect(() => {
    getOrg(id).then(
      (o) => setName([pickName(o.names), nameLang(o.names)]),
      () => setName(null),
    );
  }, [id]);
  return name;
}

// An organisation's name (in the reader's language) linking to its page.
export function OrgName({ id }: { id: string }) {
  const name = useOrgName(id);
  return (
    <a href={`#/orgs/${id}`} dir="auto" lang={name?.[1]}>
      {name?.[0] || id.slice(0, 8)}
    </a>
  );
}

// The same name as text (inside forms and buttons).
export function OrgLabel({ id }: { id: string }) {
  const name = useOrgName(id);
  return (
    <bdi lang={name?.[1]}>{name?.[0] || id.slice(0, 8)}</bdi>
  );
}
