/** A value now, or later: the data plane answers from its cache synchronously and awaits only a miss. */
export type Maybe<T> = T | Promise<T>;

/** (Not named `then`: a module exporting `then` is a thenable, and importing it would call it.) Applies `fn` at once when `value` is at hand, when it settles when it is a promise. */
export function andThen<T, R>(value: Maybe<T>, fn: (value: T) => Maybe<R>): Maybe<R> {
  return value instanceof Promise ? value.then(fn) : fn(value);
}
