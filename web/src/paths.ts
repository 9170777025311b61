/**
 * `value` when it is a path on this site, else `fallback`. Refuses `//host` and `/\host` (browsers
 * read a backslash as a slash, and the router throws on such a path) and any backslash at all.
 */
export function sitePath(value: string | null | undefined, fallback: string): string {
  if (!value?.startsWith('/') || value.startsWith('//') || value.includes('\\')) return fallback;
  return value;
}
