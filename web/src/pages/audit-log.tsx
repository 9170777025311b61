import { type FormEvent, useState } from 'react';
import { get, type ListPage } from '../api';
import { DataTable } from '../components/data-table';
import { EmptyState, ErrorMessage, formatTime, Loading, PageHeader } from '../components/ui';
import { useLoad } from '../hooks';
import type { AuditEvent } from '../types';

const PAGE_SIZE = 50;

interface Filters {
  method: string;
  principal: string;
  resource: string;
  result: string;
  since: string;
  until: string;
}

const noFilters: Filters = { method: '', principal: '', resource: '', result: '', since: '', until: '' };

/** A datetime-local value (the viewer's time zone) as RFC 3339. */
function rfc3339(local: string): string | undefined {
  if (!local) return undefined;
  const date = new Date(local);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

function firstPage(filters: Filters): string {
  const params = new URLSearchParams({ order: 'newest_first', page_size: String(PAGE_SIZE) });
  for (const name of ['method', 'principal', 'resource', 'result'] as const) if (filters[name].trim()) params.set(name, filters[name].trim());
  const since = rfc3339(filters.since);
  const until = rfc3339(filters.until);
  if (since) params.set('since', since);
  if (until) params.set('until', until);
  return `/audit/v1/events?${params}`;
}

export function AuditLogPage() {
  const [draft, setDraft] = useState<Filters>(noFilters);
  // The pages visited, so Previous can go back: the server pages forward only.
  const [trail, setTrail] = useState<string[]>([firstPage(noFilters)]);
  const current = trail[trail.length - 1]!;
  const page = useLoad(() => get<ListPage<AuditEvent>>(current), [current]);

  const apply = (event: FormEvent) => {
    event.preventDefault();
    setTrail([firstPage(draft)]);
  };
  const field = (name: keyof Filters) => ({
    id: `audit-${name}`,
    value: draft[name],
    onChange: (e: { target: { value: string } }) => setDraft((d) => ({ ...d, [name]: e.target.value })),
  });
  const next = page.data?.metadata.next;

  return (
    <>
      <PageHeader title="Audit log" />
      <p className="muted">Every management call and authentication, newest first. Filter, then page through.</p>
      <form className="filters" onSubmit={apply} aria-label="Audit log filters">
        <div>
          <label htmlFor="audit-method">Method</label>
          <input {...field('method')} placeholder="CreateAPIKey" />
        </div>
        <div>
          <label htmlFor="audit-principal">Principal</label>
          <input {...field('principal')} placeholder="u-… or sa-…" />
        </div>
        <div>
          <label htmlFor="audit-resource">Resource CRN starts with</label>
          <input {...field('resource')} placeholder="crn://confluent.cloud/…" />
        </div>
        <div>
          <label htmlFor="audit-result">Result</label>
          <select {...field('result')}>
            <option value="">Any</option>
            <option value="success">Success</option>
            <option value="failure">Failure</option>
          </select>
        </div>
        <div>
          <label htmlFor="audit-since">From</label>
          <input type="datetime-local" {...field('since')} />
        </div>
        <div>
          <label htmlFor="audit-until">Until</label>
          <input type="datetime-local" {...field('until')} />
        </div>
        <div className="filter-actions">
          <button type="submit" className="primary">
            Apply filters
          </button>
          <button
            type="button"
            onClick={() => {
              setDraft(noFilters);
              setTrail([firstPage(noFilters)]);
            }}
          >
            Clear
          </button>
        </div>
      </form>
      <ErrorMessage error={page.error} />
      {page.loading && !page.data ? <Loading label="Loading events…" /> : null}
      {page.data ? (
        <DataTable
          label="Audit events"
          rows={page.data.data}
          rowKey={(e) => e.id}
          pageSize={PAGE_SIZE}
          rowsAre="page"
          searchText={(e) =>
            `${e.data.methodName} ${e.data.authenticationInfo.principal ?? ''} ${e.data.resourceName} ${e.data.result.status} ${e.data.result.errorCode ?? ''}`
          }
          columns={[
            { id: 'time', header: 'Time', cell: (e) => formatTime(e.time), sortValue: (e) => e.time },
            { id: 'method', header: 'Method', cell: (e) => e.data.methodName, sortValue: (e) => e.data.methodName },
            {
              id: 'principal',
              header: 'Principal',
              cell: (e) => <code>{e.data.authenticationInfo.principal ?? e.data.authenticationInfo.metadata.identifier ?? '—'}</code>,
              sortValue: (e) => e.data.authenticationInfo.principal ?? '',
            },
            {
              id: 'resource',
              header: 'Resource',
              cell: (e) => <code className="wrap">{e.data.resourceName}</code>,
              sortValue: (e) => e.data.resourceName,
            },
            {
              id: 'result',
              header: 'Result',
              cell: (e) => (
                <span className={e.data.result.status === 'SUCCESS' ? 'badge ok' : 'badge fail'}>
                  {e.data.result.status === 'SUCCESS' ? 'Success' : `Failure${e.data.result.errorCode ? `: ${e.data.result.errorCode}` : ''}`}
                </span>
              ),
              sortValue: (e) => e.data.result.status,
            },
          ]}
          empty={
            <EmptyState title="No events match">
              <p className="muted">Change or clear the filters.</p>
            </EmptyState>
          }
        />
      ) : null}
      <nav className="pager" aria-label="Audit log pages">
        <button type="button" disabled={trail.length < 2} onClick={() => setTrail((t) => t.slice(0, -1))}>
          Previous page
        </button>
        <span>Page {trail.length}</span>
        <button
          type="button"
          disabled={!next}
          onClick={() => {
            if (!next) return;
            const url = new URL(next, window.location.origin);
            setTrail((t) => [...t, `${url.pathname}${url.search}`]);
          }}
        >
          Next page
        </button>
      </nav>
    </>
  );
}
