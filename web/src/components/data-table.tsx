import { type ReactNode, useId, useMemo, useState } from 'react';
import { isTruncated, LIST_LIMIT } from '../api';
import type { Loaded } from '../hooks';
import { EmptyState, ErrorMessage, Loading } from './ui';

export interface Column<T> {
  id: string;
  header: string;
  cell: (row: T) => ReactNode;
  /** The value sorted by; without it the column does not sort. */
  sortValue?: (row: T) => string | number;
}

export interface DataTableProps<T> {
  label: string;
  rows: T[];
  columns: Array<Column<T>>;
  rowKey: (row: T) => string;
  /** The text a row is found by when searching. */
  searchText: (row: T) => string;
  empty: ReactNode;
  pageSize?: number;
  initialSort?: { column: string; descending?: boolean };
  /** `page` when the rows are one page of a longer list on the server: search and count say "on this page". */
  rowsAre?: 'all' | 'page';
}

/** A table with search, sorting by column and paging, all over rows already loaded. */
export function DataTable<T>({ label, rows, columns, rowKey, searchText, empty, pageSize = 10, initialSort, rowsAre = 'all' }: DataTableProps<T>) {
  const searchId = useId();
  const [search, setSearch] = useState('');
  const [sort, setSort] = useState(initialSort ?? { column: '', descending: false });
  const [page, setPage] = useState(0);

  const shown = useMemo(() => {
    const needle = search.trim().toLowerCase();
    const matching = needle ? rows.filter((row) => searchText(row).toLowerCase().includes(needle)) : rows;
    const column = columns.find((c) => c.id === sort.column);
    if (!column?.sortValue) return matching;
    const value = column.sortValue;
    const sorted = [...matching].sort((a, b) => {
      const x = value(a);
      const y = value(b);
      const order = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
      return sort.descending ? -order : order;
    });
    return sorted;
  }, [rows, search, sort, columns, searchText]);

  if (rows.length === 0) return <>{empty}</>;

  const pages = Math.max(1, Math.ceil(shown.length / pageSize));
  const current = Math.min(page, pages - 1);
  const slice = shown.slice(current * pageSize, (current + 1) * pageSize);

  const toggleSort = (column: string) => {
    setSort((s) => (s.column === column ? { column, descending: !s.descending } : { column, descending: false }));
    setPage(0);
  };

  const onPage = rowsAre === 'page';
  let count: string;
  if (onPage) count = shown.length === rows.length ? `${rows.length} on this page` : `${shown.length} of ${rows.length} on this page`;
  else count = shown.length === rows.length ? `${rows.length} total` : `${shown.length} of ${rows.length}`;

  return (
    <div className="table-block">
      {isTruncated(rows) ? (
        <p className="notice truncated" role="status">
          Showing the first {LIST_LIMIT.toLocaleString('en-US')}: there are more than the console lists. Narrow the list, or use the API.
        </p>
      ) : null}
      <div className="table-tools">
        <label htmlFor={searchId}>{onPage ? 'Search this page' : 'Search'}</label>
        <input
          id={searchId}
          type="search"
          value={search}
          placeholder="Filter by any column"
          onChange={(event) => {
            setSearch(event.target.value);
            setPage(0);
          }}
        />
        <span className="muted" aria-live="polite">
          {count}
        </span>
      </div>
      {shown.length === 0 ? (
        <EmptyState title={`Nothing matches “${search}”.`} />
      ) : (
        <div className="table-scroll">
          <table aria-label={label}>
            <thead>
              <tr>
                {columns.map((column) => {
                  const active = sort.column === column.id;
                  const ariaSort = active ? (sort.descending ? 'descending' : 'ascending') : undefined;
                  return (
                    <th key={column.id} scope="col" aria-sort={ariaSort}>
                      {column.sortValue ? (
                        <button type="button" className="sort" onClick={() => toggleSort(column.id)}>
                          {column.header}
                          <span aria-hidden="true">{active ? (sort.descending ? ' ▼' : ' ▲') : ' ↕'}</span>
                        </button>
                      ) : (
                        column.header
                      )}
                    </th>
                  );
                })}
              </tr>
            </thead>
            <tbody>
              {slice.map((row) => (
                <tr key={rowKey(row)}>
                  {columns.map((column) => (
                    <td key={column.id} data-label={column.header}>
                      {column.cell(row)}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {pages > 1 ? (
        <nav className="pager" aria-label={`${label} pages`}>
          <button type="button" disabled={current === 0} onClick={() => setPage(current - 1)}>
            Previous
          </button>
          <span>
            Page {current + 1} of {pages}
          </span>
          <button type="button" disabled={current >= pages - 1} onClick={() => setPage(current + 1)}>
            Next
          </button>
        </nav>
      ) : null}
    </div>
  );
}

interface LoadedTableProps<T> extends Omit<DataTableProps<T>, 'rows'> {
  loaded: Loaded<T[]>;
  loadingLabel?: string;
}

/** The rows from `useLoad` in a DataTable: its error, "Loading…" until the first answer, then the table. */
export function LoadedTable<T>({ loaded, loadingLabel, ...table }: LoadedTableProps<T>) {
  return (
    <>
      <ErrorMessage error={loaded.error} />
      {loaded.loading && !loaded.data ? <Loading label={loadingLabel} /> : null}
      {loaded.data ? <DataTable rows={loaded.data} {...table} /> : null}
    </>
  );
}
