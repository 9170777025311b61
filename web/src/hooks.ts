import { type DependencyList, useCallback, useEffect, useRef, useState } from 'react';

export interface Loaded<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
}

function sameDeps(a: DependencyList, b: DependencyList): boolean {
  return a.length === b.length && a.every((value, i) => Object.is(value, b[i]));
}

/**
 * Runs `load` when `deps` change (and on reload); a late answer to an older call is dropped.
 * New deps drop the data and error of the old ones at once; a reload keeps them until it answers.
 */
export function useLoad<T>(load: () => Promise<T>, deps: DependencyList): Loaded<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<unknown>();
  const [loading, setLoading] = useState(true);
  const [loadedFor, setLoadedFor] = useState(deps);
  if (!sameDeps(loadedFor, deps)) {
    setLoadedFor(deps);
    setData(undefined);
    setError(undefined);
    setLoading(true);
  }
  const [generation, setGeneration] = useState(0);
  const latest = useRef(0);
  // biome-ignore lint/correctness/useExhaustiveDependencies: the caller names what `load` depends on
  useEffect(() => {
    const call = ++latest.current;
    setLoading(true);
    load().then(
      (value) => {
        if (call !== latest.current) return;
        setData(value);
        setError(undefined);
        setLoading(false);
      },
      (reason: unknown) => {
        if (call !== latest.current) return;
        setError(reason);
        setLoading(false);
      },
    );
  }, [...deps, generation]);
  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  return { data, error, loading, reload };
}

/** Sets the document title for the page. */
export function useTitle(title: string): void {
  useEffect(() => {
    document.title = `${title} · Keyplane`;
  }, [title]);
}

export interface Action {
  busy: boolean;
  error: unknown;
  setError: (error: unknown) => void;
  /** Runs `action` once at a time: busy meanwhile, its failure kept in `error` to show. */
  run: (action: () => Promise<void>) => Promise<void>;
}

/** The busy flag and error of a submit or confirm button. */
export function useAction(): Action {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const run = useCallback(async (action: () => Promise<void>) => {
    setBusy(true);
    setError(undefined);
    try {
      await action();
    } catch (reason) {
      setError(reason);
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, setError, run };
}

export interface DialogFor<T> {
  /** What the dialog is open for (a row, or `true`); undefined while it is closed. */
  subject: T | undefined;
  open: (subject: T) => void;
  close: () => void;
  /** Closes the dialog after it did its work, then runs `then` (a reload, say). */
  done: () => void;
}

export function useDialogFor<T = true>(then?: () => void): DialogFor<T> {
  const [subject, setSubject] = useState<T>();
  return {
    subject,
    open: setSubject,
    close: () => setSubject(undefined),
    done: () => {
      setSubject(undefined);
      then?.();
    },
  };
}
