import { Link, useLocation, useParams, useSearchParams } from 'react-router';
import { get, listAll } from '../api';
import { KeysTable } from '../components/keys-table';
import { ErrorMessage, formatTime, Loading, PageHeader, TabPanel, Tabs } from '../components/ui';
import { useLoad } from '../hooks';
import { isResourceKind, type ResourceKind, resourceKinds } from '../resources';
import type { ApiKey, Cluster, FlinkRegion } from '../types';
import { NotFoundPage } from './not-found';

interface Shown {
  name: string;
  facts: Array<[string, string]>;
}

async function loadResource(kind: ResourceKind, id: string, environmentId: string): Promise<Shown> {
  if (kind === 'flink') {
    const region = await get<FlinkRegion>(`/fcpm/v2/regions/${encodeURIComponent(id)}`);
    return {
      name: `Flink ${region.display_name}`,
      facts: [
        ['Region', region.id],
        ['Cloud', region.cloud],
        ['Environment', environmentId],
        ['Endpoint', region.http_endpoint],
      ],
    };
  }
  const cluster = await get<Cluster>(`${resourceKinds[kind].path}/${encodeURIComponent(id)}?environment=${encodeURIComponent(environmentId)}`);
  const facts: Array<[string, string]> = [
    ['ID', cluster.id],
    ['Environment', cluster.spec.environment.id],
    ['Cloud', cluster.spec.cloud ?? '—'],
    ['Region', cluster.spec.region ?? '—'],
  ];
  if (cluster.spec.kafka_bootstrap_endpoint) facts.push(['Bootstrap server', cluster.spec.kafka_bootstrap_endpoint]);
  const endpoint = cluster.spec.http_endpoint ?? cluster.status.http_endpoint;
  if (endpoint) facts.push(['Endpoint', endpoint]);
  if (cluster.spec.config?.kind) facts.push(['Type', cluster.spec.config.kind]);
  if (cluster.spec.package) facts.push(['Package', cluster.spec.package]);
  facts.push(['Created', formatTime(cluster.metadata.created_at)]);
  return { name: cluster.spec.display_name, facts };
}

export function ResourcePage() {
  const { environmentId = '', kind = '', resourceId = '' } = useParams();
  if (!isResourceKind(kind)) return <NotFoundPage />;
  return <Resource environmentId={environmentId} kind={kind} resourceId={resourceId} />;
}

function Resource({ environmentId, kind, resourceId }: { environmentId: string; kind: ResourceKind; resourceId: string }) {
  const [params, setParams] = useSearchParams();
  const location = useLocation();
  const tab = params.get('tab') === 'api-keys' ? 'api-keys' : 'overview';
  const resource = useLoad(() => loadResource(kind, resourceId, environmentId), [kind, resourceId, environmentId]);
  const meta = resourceKinds[kind];
  const createQuery = new URLSearchParams({ resource: resourceId, environment: environmentId, return: `${location.pathname}?tab=api-keys` });

  return (
    <>
      <PageHeader
        title={resource.data?.name ?? resourceId}
        breadcrumb={
          <>
            <Link to="/environments">Environments</Link> <span aria-hidden="true">›</span>{' '}
            <Link to={`/environments/${environmentId}?tab=${kind}`}>{environmentId}</Link> <span aria-hidden="true">›</span> {meta.noun}
          </>
        }
      />
      <ErrorMessage error={resource.error} />
      {resource.loading && !resource.data ? <Loading /> : null}
      {resource.data ? (
        <>
          <Tabs
            label={meta.noun}
            current={tab}
            onChange={(id) => setParams(id === 'overview' ? {} : { tab: id }, { replace: true })}
            tabs={[
              { id: 'overview', title: 'Overview' },
              { id: 'api-keys', title: 'API keys' },
            ]}
          />
          <TabPanel id={tab}>
            {tab === 'overview' ? (
              <dl className="facts">
                {resource.data.facts.map(([term, value]) => (
                  <div key={term} className="fact">
                    <dt>{term}</dt>
                    <dd>{value}</dd>
                  </div>
                ))}
              </dl>
            ) : (
              <KeysTable
                label="API keys"
                showScope={false}
                createHref={`/api-keys/new?${createQuery}`}
                emptyText={`Keys scoped to this ${meta.noun} let applications use it. Add one to get started.`}
                deps={[resourceId, environmentId]}
                load={async () =>
                  (await listAll<ApiKey>('/iam/v2/api-keys', { 'spec.resource': resourceId })).filter(
                    (k) => !k.spec.resource.environment || k.spec.resource.environment === environmentId,
                  )
                }
              />
            )}
          </TabPanel>
        </>
      ) : null}
    </>
  );
}
