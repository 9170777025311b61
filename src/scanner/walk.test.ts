import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileLoader, listFiles } from './walk.js';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'keyplane-walk-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function tree(files: Record<string, string | Buffer>): void {
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, name)), { recursive: true });
    writeFileSync(join(root, name), content);
  }
}
const rel = (path: string) => relative(root, path).split(sep).join('/');

describe('listFiles', () => {
  it('lists files recursively in name order, dotfiles in, .git out, each .gitignore applying below it', () => {
    tree({
      'b.txt': '',
      'a/z.txt': '',
      'a/.gitignore': 'local.*\n',
      'a/local.env': '',
      'c/local.env': '',
      '.env': '',
      '.gitignore': 'dist/\n*.tmp\n',
      'dist/bundle.js': '',
      'x.tmp': '',
      '.git/config': '',
      'sub/.git/HEAD': '',
    });
    expect([...listFiles(root)].map(rel)).toEqual(['.env', '.gitignore', 'a/.gitignore', 'a/z.txt', 'b.txt', 'c/local.env']);
  });

  it('yields a file given as root, ignore rules notwithstanding, and throws ENOENT for a missing root', () => {
    tree({ '.gitignore': 'x.env\n', 'x.env': '' });
    expect([...listFiles(join(root, 'x.env'))]).toEqual([join(root, 'x.env')]);
    expect(() => [...listFiles(join(root, 'missing'))]).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });
});

describe('FileLoader', () => {
  it('skips files over the size limit, binary files (a NUL in the first 8 KiB) and unreadable paths', () => {
    tree({
      'big.txt': 'x'.repeat(101),
      'limit.txt': 'x'.repeat(100),
      'bin.dat': Buffer.from([1, 2, 0, 3]),
      'late-nul.txt': Buffer.concat([Buffer.alloc(8192, 0x61), Buffer.from([0])]),
    });
    const loader = new FileLoader(10_000);
    const small = new FileLoader(100);
    expect(small.load(join(root, 'big.txt'))).toEqual({ kind: 'skipped', reason: 'too_large' });
    expect(small.load(join(root, 'limit.txt'))).toMatchObject({ kind: 'file' });
    expect(loader.load(join(root, 'bin.dat'))).toEqual({ kind: 'skipped', reason: 'binary' });
    expect(loader.load(join(root, 'late-nul.txt'))).toMatchObject({ kind: 'file' });
    expect(loader.load(join(root, 'missing.txt'))).toEqual({ kind: 'skipped', reason: 'unreadable' });
  });

  it('reads each file whole into its reused buffer, growing it for a file larger than the buffer', () => {
    const large = Buffer.alloc(3 << 20, 0x62);
    large.write('end', large.length - 3);
    tree({ 'large.txt': large, 'small.txt': 'hello' });
    const loader = new FileLoader(10 << 20);
    const first = loader.load(join(root, 'large.txt'));
    expect(first.kind === 'file' && first.bytes.equals(large)).toBe(true);
    const second = loader.load(join(root, 'small.txt'));
    expect(second.kind === 'file' && second.bytes.toString()).toBe('hello');
  });
});
