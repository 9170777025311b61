import { ErrorMessage } from './ui';

interface LoadedSelectProps<T> {
  id: string;
  label: string;
  value: string;
  onChange: (value: string) => void;
  /** The choices, from `useLoad`; its error shows below the list. */
  loaded: { data?: T[] | undefined; error: unknown };
  /** The first, empty choice. */
  placeholder: string;
  option: (item: T) => { value: string; label: string };
  required?: boolean;
}

/** A labelled <select> over loaded items, after an empty first choice. */
export function LoadedSelect<T>({ id, label, value, onChange, loaded, placeholder, option, required }: LoadedSelectProps<T>) {
  return (
    <>
      <label htmlFor={id}>{label}</label>
      <select id={id} required={required} value={value} onChange={(e) => onChange(e.target.value)}>
        <option value="">{placeholder}</option>
        {(loaded.data ?? []).map(option).map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
      <ErrorMessage error={loaded.error} />
    </>
  );
}
