import { useState } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';
import { get, post } from '../api';
import { LoadedTable } from '../components/data-table';
import { FormDialog } from '../components/form-dialog';
import { LoadedSelect } from '../components/loaded-select';
import { EmptyState, ErrorMessage, Loading, PageHeader, TabPanel, Tabs } from '../components/ui';
import { useDialogFor, useLoad } from '../hooks';
import { type ClusterKind, clouds, isResourceKind, listClusters, listFlinkRegions, type ResourceKind, resourceKinds } from '../resources';
import type { Cluster, Environment } from '../types';

export function EnvironmentPage() {
  const { environmentId = '' } = useParams();
  const [params, setParams] = useSearchParams();
  const tabParam = params.get('tab') ?? undefined;
  const tab: ResourceKind = isResourceKind(tabParam) ? tabParam : 'kafka';
  const environment = useLoad(() => get<Environment>(`/org/v2/environments/${encodeURIComponent(environmentId)}`), [environmentId]);

  return (
    <>
      <PageHeader
        title={environment.data?.display_name ?? environmentId}
        breadcrumb={
          <>
            <Link to="/environments">Environments</Link> <span aria-hidden="true">›</span> {environmentId}
          </>
        }
      />
      <ErrorMessage error={environment.error} />
      {environment.data ? (
        <>
          <p className="muted">
            Environment <code>{environmentId}</code>
          </p>
          <Tabs
            label="Resources"
            current={tab}
            onChange={(id) => setParams({ tab: id }, { replace: true })}
            tabs={(Object.keys(resourceKinds) as ResourceKind[]).map((id) => ({ id, title: resourceKinds[id].title }))}
          />
          <TabPanel id={tab}>
            {tab === 'flink' ? <FlinkRegions environmentId={environmentId} /> : <Clusters kind={tab} environmentId={environmentId} />}
          </TabPanel>
        </>
      ) : environment.loading ? (
        <Loading />
      ) : null}
    </>
  );
}

function Clusters({ kind, environmentId }: { kind: ClusterKind; environmentId: string }) {
  const clusters = useLoad(() => listClusters(kind, environmentId), [kind, environmentId]);
  const adding = useDialogFor(clusters.reload);
  const meta = resourceKinds[kind];
  return (
    <>
      <div className="section-head">
        <h2>{meta.title}</h2>
        <button type="button" onClick={() => adding.open(true)}>
          Register {meta.noun}
        </button>
      </div>
      <LoadedTable
        loaded={clusters}
        label={meta.title}
        rowKey={(c) => c.id}
        searchText={(c) => `${c.spec.display_name} ${c.id} ${c.spec.cloud} ${c.spec.region}`}
        initialSort={{ column: 'name' }}
        columns={[
          {
            id: 'name',
            header: 'Name',
            cell: (c) => <Link to={`/environments/${environmentId}/${kind}/${c.id}`}>{c.spec.display_name}</Link>,
            sortValue: (c) => c.spec.display_name,
          },
          { id: 'id', header: 'ID', cell: (c) => <code>{c.id}</code>, sortValue: (c) => c.id },
          { id: 'cloud', header: 'Cloud', cell: (c) => c.spec.cloud, sortValue: (c) => c.spec.cloud },
          { id: 'region', header: 'Region', cell: (c) => c.spec.region, sortValue: (c) => c.spec.region },
          {
            id: 'keys',
            header: 'API keys',
            cell: (c) => (
              <Link to={`/environments/${environmentId}/${kind}/${c.id}?tab=api-keys`} aria-label={`API keys of ${c.spec.display_name}`}>
                API keys
              </Link>
            ),
          },
        ]}
        empty={
          <EmptyState title={`No ${meta.title} in this environment`}>
            <p className="muted">Register one to scope API keys to it.</p>
          </EmptyState>
        }
      />
      {adding.subject ? <RegisterDialog kind={kind} environmentId={environmentId} onClose={adding.close} onDone={adding.done} /> : null}
    </>
  );
}

function RegisterDialog({ kind, environmentId, onClose, onDone }: { kind: ClusterKind; environmentId: string; onClose: () => void; onDone: () => void }) {
  const meta = resourceKinds[kind];
  const [name, setName] = useState('');
  const [cloud, setCloud] = useState<string>('AWS');
  const [region, setRegion] = useState('us-east-1');
  const [kafkaCluster, setKafkaCluster] = useState('');
  const kafkaClusters = useLoad(() => (kind === 'ksqldb' ? listClusters('kafka', environmentId) : Promise.resolve([] as Cluster[])), [kind, environmentId]);

  const submit = async () => {
    const environment = { id: environmentId };
    const spec =
      kind === 'ksqldb'
        ? { display_name: name.trim(), environment, kafka_cluster: { id: kafkaCluster } }
        : kind === 'kafka'
          ? { display_name: name.trim(), environment, cloud, region: region.trim(), availability: 'SINGLE_ZONE', config: { kind: 'Basic' } }
          : { display_name: name.trim(), environment, cloud, region: region.trim() };
    await post(meta.path, { spec });
    onDone();
  };

  return (
    <FormDialog title={`Register ${meta.noun}`} submit="Register" onClose={onClose} onSubmit={submit}>
      <label htmlFor="resource-name">Name</label>
      <input id="resource-name" required value={name} onChange={(e) => setName(e.target.value)} />
      {kind === 'ksqldb' ? (
        <LoadedSelect
          id="resource-kafka"
          label="Kafka cluster"
          required
          value={kafkaCluster}
          onChange={setKafkaCluster}
          loaded={kafkaClusters}
          placeholder="Choose a Kafka cluster"
          option={(c) => ({ value: c.id, label: `${c.spec.display_name} (${c.id})` })}
        />
      ) : (
        <>
          <label htmlFor="resource-cloud">Cloud</label>
          <select id="resource-cloud" value={cloud} onChange={(e) => setCloud(e.target.value)}>
            {clouds.map((c) => (
              <option key={c}>{c}</option>
            ))}
          </select>
          <label htmlFor="resource-region">Region</label>
          <input id="resource-region" required value={region} onChange={(e) => setRegion(e.target.value)} />
        </>
      )}
    </FormDialog>
  );
}

function FlinkRegions({ environmentId }: { environmentId: string }) {
  const regions = useLoad(() => listFlinkRegions(), []);
  return (
    <>
      <div className="section-head">
        <h2>Flink regions</h2>
      </div>
      <p className="muted">Flink API keys are scoped to this environment and one cloud region.</p>
      <LoadedTable
        loaded={regions}
        label="Flink regions"
        rowKey={(r) => r.id}
        searchText={(r) => `${r.display_name} ${r.id} ${r.cloud}`}
        initialSort={{ column: 'id' }}
        columns={[
          {
            id: 'id',
            header: 'Region',
            cell: (r) => <Link to={`/environments/${environmentId}/flink/${r.id}`}>{r.id}</Link>,
            sortValue: (r) => r.id,
          },
          { id: 'name', header: 'Name', cell: (r) => r.display_name, sortValue: (r) => r.display_name },
          { id: 'cloud', header: 'Cloud', cell: (r) => r.cloud, sortValue: (r) => r.cloud },
        ]}
        empty={<EmptyState title="No Flink regions" />}
      />
    </>
  );
}
