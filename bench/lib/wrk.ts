/**
 * Drives wrk (Debian package `wrk`) and reads its report: requests per second, p50/p99 latency
 * and the count of failed requests. Shared by the benchmarks in bench/.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';

export interface WrkFigures {
  rps: number;
  /** Milliseconds. */
  p50: number;
  p99: number;
  /** Responses outside 2xx/3xx. */
  non2xx: number;
  /** Connect, read, write and timeout errors. */
  socketErrors: number;
  errors: number;
}

export interface WrkRun {
  url: string;
  connections: number;
  threads?: number;
  seconds: number;
  headers?: Record<string, string>;
  /** A Lua script (wrk -s). */
  script?: string;
  /** CPUs wrk runs on (`taskset -c`), so that it does not share the server's core. */
  cpus?: string;
}

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Whether wrk is on the PATH. */
export function wrkInstalled(): boolean {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
    return true;
  } catch (error) {
    // wrk prints its version and exits 1; a missing binary has no status.
    return (error as { status?: number }).status === 1;
  }
}

function ms(value: string, unit: string): number {
  return Number(value) * (unit === 'us' ? 0.001 : unit === 's' ? 1000 : 1);
}

/** Parses wrk's `--latency` report. */
export function parseWrk(out: string): WrkFigures {
  const p50 = /50%\s+([\d.]+)(us|ms|s)/.exec(out);
  const p99 = /99%\s+([\d.]+)(us|ms|s)/.exec(out);
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
  if (!p50 || !p99 || !rps) throw new Error(`unexpected wrk output:\n${out}`);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const socketErrors = socket ? socket.slice(1).reduce((a, b) => a + Number(b), 0) : 0;
  return {
    rps: Number(rps[1]),
    p50: ms(p50[1]!, p50[2]!),
    p99: ms(p99[1]!, p99[2]!),
    non2xx,
    socketErrors,
    errors: non2xx + socketErrors,
  };
}

/** wrk processes still running, so that an interrupted benchmark can stop them. */
export const runningWrk = new Set<ChildProcess>();

/** Runs wrk once, without blocking the event loop (so Ctrl-C handlers still run). */
export function runWrk(run: WrkRun): Promise<WrkFigures> {
  const args = [`-t${run.threads ?? 1}`, `-c${run.connections}`, `-d${run.seconds}s`, '--latency'];
  for (const [name, value] of Object.entries(run.headers ?? {})) args.push('-H', `${name}: ${value}`);
  if (run.script) args.push('-s', run.script);
  args.push(run.url);
  return new Promise((resolve, reject) => {
    const [command, argv] = run.cpus === undefined ? ['wrk', args] : ['taskset', ['-c', run.cpus, 'wrk', ...args]];
    const child = spawn(command, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    runningWrk.add(child);
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.on('error', (error) => {
      runningWrk.delete(child);
      reject(error);
    });
    child.on('close', (code, signal) => {
      runningWrk.delete(child);
      if (code !== 0) reject(new Error(`wrk exited with ${code ?? signal}: ${err || out}`));
      else resolve(parseWrk(out));
    });
  });
}

/** Runs `run` `runs` times, one after the other. */
export async function repeat<T>(runs: number, run: () => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  for (let i = 0; i < runs; i++) results.push(await run());
  return results;
}

/** The median of each figure over several runs; errors are summed. */
export function summarise(runs: WrkFigures[]): WrkFigures {
  return {
    rps: median(runs.map((r) => r.rps)),
    p50: median(runs.map((r) => r.p50)),
    p99: median(runs.map((r) => r.p99)),
    non2xx: runs.reduce((a, r) => a + r.non2xx, 0),
    socketErrors: runs.reduce((a, r) => a + r.socketErrors, 0),
    errors: runs.reduce((a, r) => a + r.errors, 0),
  };
}
