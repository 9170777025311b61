/**
 * A scanning thread for scanTree: receives batches of paths, answers each with its TreeScanResult
 * (findings unsorted). Options come once, as workerData.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { scanFiles, type TreeScanOptions } from './scan-tree.js';

const options = workerData as TreeScanOptions;
parentPort?.on('message', (paths: string[]) => parentPort?.postMessage(scanFiles(paths, options)));
