import { useEffect, useState } from 'preact/hooks';
import { getOrg } from './api';
import { pickName } from './i18n';

// An organisation's name (in the reader's language) linking to its page.
export function OrgName({ id }: { id: string }) {
  const [name, setName] = useState('');
  useEffect(() => {
    getOrg(id).then(
      (o) => setName(pickName(o.names)),
      () => setName(''),
    );
  }, [id]);
  return (
    <a href={`#/orgs/${id}`} dir="auto">
      {name || id.slice(0, 8)}
    </a>
  );
}
