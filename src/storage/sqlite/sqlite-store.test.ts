import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { describeStoreContract } from '../store-contract.js';
import { openSqliteStore } from './open-sqlite.js';

const dir = mkdtempSync(join(tmpdir(), 'keyplane-sqlite-'));
let n = 0;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeStoreContract('sqlite (file, WAL)', () => openSqliteStore(join(dir, `store-${n++}.db`)));
describeStoreContract('sqlite (memory)', () => openSqliteStore(':memory:'));
