import { COPIED_TABLES, type CopyProgress } from '../services/database-copy.js';
import type { Output } from './io.js';

/** A table's name as the database spells it (`apiKeys` → `api_keys`). */
export function tableLabel(table: string): string {
  return table.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/**
 * Shows a copy's progress, one line per table. A terminal sees the line redrawn in place; a pipe
 * or a log gets plain lines: one when a table is done, and one per tenth of a large table.
 */
export function copyProgressRenderer(out: Output): (progress: CopyProgress) => void {
  const width = Math.max(...COPIED_TABLES.map((t) => tableLabel(t).length));
  const printed = new Map<string, number>();
  return ({ table, copied, total, done }) => {
    const line = `  ${tableLabel(table).padEnd(width)}  ${copied}/${total}`;
    if (out.isTTY) {
      out.write(`\r${line}\x1b[K${done ? '\n' : ''}`);
      return;
    }
    const step = Math.max(1, Math.ceil(total / 10));
    if (done || copied - (printed.get(table) ?? 0) >= step) {
      out.write(`${line}\n`);
      printed.set(table, copied);
    }
  };
}
