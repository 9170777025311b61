import { type ReactNode, useEffect, useId, useRef } from 'react';
import { ApiError } from '../api';
import { useTitle } from '../hooks';

/** An error from the API (the Failure envelope's detail) or the network, shown where it happened. */
export function ErrorMessage({ error }: { error: unknown }) {
  if (!error) return null;
  let text = 'Something went wrong.';
  if (error instanceof ApiError) {
    text = error.message;
    if (error.status === 403 && !error.message) text = 'You do not have permission to do this.';
    if (error.retryAfter && !/\b(retry|try again)\b/i.test(text)) text += ` Try again in ${error.retryAfter} s.`;
  } else if (error instanceof Error) {
    text = error.message;
  }
  return (
    <p className="error" role="alert">
      {text}
    </p>
  );
}

/** The page heading and the document title; the heading takes focus when the page opens. */
export function PageHeader({ title, children, breadcrumb }: { title: string; children?: ReactNode; breadcrumb?: ReactNode }) {
  useTitle(title);
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    // Moves a screen reader to the new page after in-app navigation, without stealing focus from a field.
    if (document.activeElement === document.body || document.activeElement?.closest('nav')) heading.current?.focus();
  }, []);
  return (
    <header className="page-header">
      {breadcrumb ? <nav aria-label="Breadcrumb" className="breadcrumb">{breadcrumb}</nav> : null}
      <div className="page-header-row">
        <h1 tabIndex={-1} ref={heading}>
          {title}
        </h1>
        {children ? <div className="actions">{children}</div> : null}
      </div>
    </header>
  );
}

export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty">
      <p className="empty-title">{title}</p>
      {children}
    </div>
  );
}

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <p className="muted" role="status">
      {label}
    </p>
  );
}

interface DialogProps {
  title: string;
  onClose: () => void;
  children: ReactNode;
  /** A dialog that guards something destructive: the role says so. */
  alert?: boolean;
  /** Where focus goes when the dialog closes, given what had it before; that element by default. */
  returnFocus?: (opener: HTMLElement | null) => HTMLElement | null | undefined;
}

/**
 * A modal <dialog>: showModal makes the rest of the page inert and keeps focus inside; Escape
 * closes it; focus goes back to whatever had it before.
 */
export function Dialog({ title, onClose, children, alert, returnFocus }: DialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const closeRef = useRef(onClose);
  closeRef.current = onClose;
  const returnFocusRef = useRef(returnFocus);
  returnFocusRef.current = returnFocus;
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    dialog.showModal();
    const first =
      dialog.querySelector<HTMLElement>('[data-initial-focus]') ??
      dialog.querySelector<HTMLElement>('input, select, textarea, button:not(.dialog-close)');
    first?.focus();
    const cancel = (event: Event) => {
      event.preventDefault();
      closeRef.current();
    };
    dialog.addEventListener('cancel', cancel);
    return () => {
      dialog.removeEventListener('cancel', cancel);
      dialog.close();
      const target = returnFocusRef.current ? returnFocusRef.current(opener) : opener;
      if (target?.isConnected) target.focus();
    };
  }, []);
  return (
    <dialog ref={ref} aria-labelledby={titleId} role={alert ? 'alertdialog' : undefined} className="dialog">
      <div className="dialog-head">
        <h2 id={titleId}>{title}</h2>
        <button type="button" className="dialog-close link" aria-label="Close" onClick={onClose}>
          ×
        </button>
      </div>
      {children}
    </dialog>
  );
}

export function formatTime(value: string | null | undefined): string {
  if (!value) return '—';
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return value;
  return date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** "Never used", or when, for the delete dialog and the tables. */
export function lastUsed(value: string | null | undefined): string {
  return value ? formatTime(value) : 'Never used';
}

export function Tabs({ label, tabs, current, onChange }: { label: string; tabs: Array<{ id: string; title: string }>; current: string; onChange: (id: string) => void }) {
  return (
    <div role="tablist" aria-label={label} className="tabs">
      {tabs.map((tab) => (
        <button
          key={tab.id}
          type="button"
          role="tab"
          id={`tab-${tab.id}`}
          aria-selected={tab.id === current}
          aria-controls={`panel-${tab.id}`}
          tabIndex={tab.id === current ? 0 : -1}
          onClick={() => onChange(tab.id)}
          onKeyDown={(event) => {
            const index = tabs.findIndex((t) => t.id === current);
            const step = event.key === 'ArrowRight' ? 1 : event.key === 'ArrowLeft' ? -1 : 0;
            if (!step) return;
            const next = tabs[(index + step + tabs.length) % tabs.length]!;
            onChange(next.id);
            document.getElementById(`tab-${next.id}`)?.focus();
          }}
        >
          {tab.title}
        </button>
      ))}
    </div>
  );
}

export function TabPanel({ id, children }: { id: string; children: ReactNode }) {
  return (
    <div role="tabpanel" id={`panel-${id}`} aria-labelledby={`tab-${id}`} className="tab-panel">
      {children}
    </div>
  );
}

/**
 * Where focus goes once the row `opener` sits in is deleted: the table's search field when other
 * rows stay on screen, else the heading of its section or page (headings that take focus have tabindex -1).
 */
export function focusAfterDelete(opener: HTMLElement | null): HTMLElement | null {
  const block = opener?.closest('.table-block');
  const search = block?.querySelector<HTMLElement>('input[type="search"]');
  if (search && (block?.querySelectorAll('tbody tr').length ?? 0) > 1) return search;
  return (
    opener?.closest('section')?.querySelector<HTMLElement>('h2[tabindex]') ?? document.querySelector<HTMLElement>('main h1[tabindex]')
  );
}
