import { type Command, Option } from 'commander';
import type { CliIo } from '../io.js';
import { type Field, outputOption, type OutputFormat, printList } from '../output.js';
import { Session } from '../session.js';
import { examples } from './common.js';

/** A region as `/fcpm/v2/regions` answers it. */
interface RegionJson {
  id: string;
  display_name: string;
  cloud: string;
  region_name: string;
}

const regionFields: Field<RegionJson>[] = [
  { header: 'Name', key: 'name', value: (r) => r.display_name },
  { header: 'Cloud', key: 'cloud', value: (r) => r.cloud },
  { header: 'Region', key: 'region', value: (r) => r.region_name },
];

interface ListOptions {
  cloud?: string;
  output: OutputFormat;
}

export function registerFlinkCommands(program: Command, io: CliIo): void {
  const flink = program.command('flink').summary('list the Flink regions keys can be scoped to').description('Flink regions that API keys can be scoped to');
  const region = flink.command('region').summary('list Flink regions').description('Flink regions: a Flink API key is scoped to one region of one environment');

  region
    .command('list')
    .summary('list Flink regions')
    .description('List the Flink regions. A Flink API key is for one of them in one environment.')
    .addOption(new Option('--cloud <cloud>', 'only the regions of this cloud provider').choices(['aws', 'gcp', 'azure']))
    .addOption(outputOption())
    .addHelpText(
      'after',
      examples('keyplane flink region list --cloud aws', 'keyplane api-key create --resource flink --cloud aws --region us-east-1 --environment env-123456'),
    )
    .action((options: ListOptions) => list(io, options));
}

async function list(io: CliIo, options: ListOptions): Promise<void> {
  const session = Session.open(io);
  const regions = await session.client.list<RegionJson>('/fcpm/v2/regions', { cloud: options.cloud?.toUpperCase() });
  printList(io, options.output, regionFields, regions);
}
