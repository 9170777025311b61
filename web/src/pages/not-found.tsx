import { Link } from 'react-router';
import { PageHeader } from '../components/ui';

export function NotFoundPage() {
  return (
    <>
      <PageHeader title="Page not found" />
      <p>
        There is no page here. Go to <Link to="/environments">Environments</Link>.
      </p>
    </>
  );
}
