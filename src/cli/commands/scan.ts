import type { Command } from 'commander';
import { findSecrets, type SecretFinding } from '../../scanner/find-secrets.js';
import { walk } from '../../scanner/walk.js';
import { type CliIo, EXIT_FAILURE, ReportedFailure, UsageError } from '../io.js';
import { type Field, outputOption, type OutputFormat, printList } from '../output.js';
import { examples } from './common.js';

interface ScanOptions {
  showSecrets?: boolean;
  legacy?: boolean;
  maxFileSize: string;
  output: OutputFormat;
}

type FileFinding = SecretFinding & { file: string };

const fields: Field<FileFinding>[] = [
  { header: 'File', key: 'file', value: (f) => f.file },
  { header: 'Line', key: 'line', value: (f) => f.line },
  { header: 'Column', key: 'column', value: (f) => f.column },
  { header: 'Secret', key: 'secret', value: (f) => f.secret ?? f.masked },
  { header: 'Confidence', key: 'confidence', value: (f) => f.confidence },
  { header: 'Encoding', key: 'encoding', value: (f) => f.encoding },
  { header: 'Key', key: 'key_id', value: (f) => f.keyId },
];

export function registerScanCommands(program: Command, io: CliIo): void {
  program
    .command('scan')
    .summary('find Keyplane API secrets in files, directories or standard input')
    .description(
      'Find Keyplane API secrets: cflt secrets whose checksum validates (high confidence), also written with URL\n' +
        "escapes (%2B, %2F) or JSON's escaped slash (\\/), and with --legacy, 64-character secrets standing next to a key\n" +
        'id or a secret-like name (low confidence). Directories are read recursively, dotfiles included, .git and what\n' +
        '.gitignore files exclude left out; binary files and files over --max-file-size are skipped. Secrets are shown\n' +
        'masked (first 8 characters) unless --show-secrets. Exits 1 when it finds any.',
    )
    .argument('[paths...]', 'files and directories to scan, or - for standard input (default: .)')
    .option('--show-secrets', 'show the secrets found in full')
    .option('--legacy', 'also report legacy 64-character secrets next to a key id or a secret-like name')
    .option('--max-file-size <bytes>', 'skip files larger than this', '10000000')
    .addOption(outputOption())
    .addHelpText('after', examples('keyplane scan', 'keyplane scan src config/.env', 'git diff --cached | keyplane scan -'))
    .action((paths: string[], options: ScanOptions) => scan(io, paths.length ? paths : ['.'], options));
}

async function scan(io: CliIo, paths: string[], options: ScanOptions): Promise<void> {
  const maxFileBytes = Number(options.maxFileSize);
  if (!Number.isSafeInteger(maxFileBytes) || maxFileBytes < 1) throw new UsageError(`--max-file-size must be a whole number of bytes, not "${options.maxFileSize}"`);
  const found: FileFinding[] = [];
  const skipped: { path: string; reason: string }[] = [];
  let files = 0;
  const look = (file: string, text: string) => {
    files++;
    for (const finding of findSecrets(text, { showSecrets: Boolean(options.showSecrets), legacy: Boolean(options.legacy) })) found.push({ file, ...finding });
  };
  for (const path of paths) {
    if (path === '-') {
      if (!io.readStdin) throw new UsageError('"-" reads standard input, and standard input is a terminal', 'pipe something in');
      look('(stdin)', await io.readStdin());
      continue;
    }
    let items: ReturnType<typeof walk>;
    try {
      items = walk(path, { maxFileBytes });
      for (const item of items) {
        if (item.kind === 'file') look(item.path, item.text);
        else skipped.push({ path: item.path, reason: item.reason });
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new UsageError(`${path} does not exist`);
      throw error;
    }
  }
  if (options.output !== 'human' || found.length) printList(io, options.output, fields, found);
  const summary = `Scanned ${files} file${files === 1 ? '' : 's'}${skipped.length ? ` (skipped ${skipped.length}: ${describeSkipped(skipped)})` : ''}; found ${found.length} secret${found.length === 1 ? '' : 's'}.\n`;
  io.stderr.write(summary);
  // Exit code 1 when secrets were found, so that a pre-commit hook or a CI step fails on it.
  if (found.length) throw new ReportedFailure(EXIT_FAILURE);
}

function describeSkipped(skipped: readonly { reason: string }[]): string {
  const counts = new Map<string, number>();
  for (const { reason } of skipped) counts.set(reason, (counts.get(reason) ?? 0) + 1);
  return [...counts].map(([reason, n]) => `${n} ${reason.replace('_', ' ')}`).join(', ');
}

