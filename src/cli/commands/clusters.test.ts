import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cliSuite, keyplane, stable } from '../../../test/support/cli.js';

const suite = cliSuite();

let env: string;
beforeAll(async () => {
  env = (JSON.parse((await keyplane(['environment', 'create', 'clusters', '-o', 'json'], { home: suite.home })).stdout) as { id: string }).id;
});

/** `stable()`, and the ksqlDB topic prefix, which is made from the cluster id. */
function snap(text: string): string {
  return stable(text).replace(/\bpksqlc-[a-z0-9]{5}\b/g, 'pksqlc-00000');
}

async function run(args: string[]) {
  const result = await keyplane(args, { home: suite.home });
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return result.stdout;
}

async function json<T>(args: string[]): Promise<T> {
  return JSON.parse(await run([...args, '-o', 'json'])) as T;
}

interface KafkaOut {
  id: string;
  name: string;
  type: string;
  cloud: string;
  region: string;
  availability: string;
  status: string;
  cku?: number;
  environment: string;
}

describe('keyplane kafka cluster', () => {
  let basic: string;
  let dedicated: string;

  it('create registers a cluster and prints it', async () => {
    const out = await run(['kafka', 'cluster', 'create', 'orders', '--cloud', 'aws', '--region', 'us-east-1', '--environment', env]);
    expect(snap(out)).toMatchSnapshot();
    basic = /lkc-[a-z0-9]+/.exec(out)![0];

    const created = await json<KafkaOut>([
      'kafka', 'cluster', 'create', 'payments', '--cloud', 'gcp', '--region', 'us-central1',
      '--type', 'dedicated', '--cku', '2', '--availability', 'multi-zone', '--environment', env,
    ]);
    expect(created).toMatchObject({ name: 'payments', type: 'DEDICATED', cku: 2, cloud: 'gcp', region: 'us-central1', availability: 'multi-zone', status: 'UP', environment: env });
    dedicated = created.id;
  });

  it('list shows the clusters of the environment', async () => {
    expect(snap(await run(['kafka', 'cluster', 'list', '--environment', env]))).toMatchSnapshot();
    const listed = await json<KafkaOut[]>(['kafka', 'cluster', 'list', '--environment', env]);
    expect(listed.map((c) => [c.id, c.type])).toEqual([
      [basic, 'BASIC'],
      [dedicated, 'DEDICATED'],
    ]);
    expect(listed[0]).not.toHaveProperty('cku');
  });

  it('describe uses the environment chosen with "environment use"', async () => {
    await run(['environment', 'use', env]);
    expect(snap(await run(['kafka', 'cluster', 'describe', dedicated]))).toMatchSnapshot();
  });

  it('refuses unknown clusters, a missing environment and bad flags', async () => {
    const unknown = await keyplane(['kafka', 'cluster', 'describe', 'lkc-nope00'], { home: suite.home });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe(
      `keyplane: error: Kafka cluster "lkc-nope00" does not exist in environment "${env}", or you may not see it; see "keyplane kafka cluster list --environment ${env}"\n`,
    );

    const noEnvironment = await keyplane(['kafka', 'cluster', 'list'], { home: await suite.kp.loggedInHome() });
    expect(noEnvironment.code).toBe(2);
    expect(noEnvironment.stderr).toBe('keyplane: error: no environment given; pass --environment env-…, or choose one with "keyplane environment use env-…"\n');

    const ckuOnBasic = await keyplane(['kafka', 'cluster', 'create', 'x', '--cloud', 'aws', '--region', 'us-east-1', '--cku', '2'], { home: suite.home });
    expect(ckuOnBasic.code).toBe(2);
    expect(ckuOnBasic.stderr).toBe('keyplane: error: --cku is for dedicated clusters only; add --type dedicated, or leave --cku out\n');

    const badType = await keyplane(['kafka', 'cluster', 'create', 'x', '--cloud', 'aws', '--region', 'us-east-1', '--type', 'huge'], { home: suite.home });
    expect(badType.code).toBe(2);
    expect(badType.stderr).toMatch(/^keyplane: error: option '--type <type>' argument 'huge' is invalid/);

    const badRegion = await keyplane(['kafka', 'cluster', 'create', 'x', '--cloud', 'aws', '--region', 'US EAST'], { home: suite.home });
    expect(badRegion.code).toBe(1);
    expect(badRegion.stderr).toBe('keyplane: error: --region must be a cloud region name such as us-east-1 (letters, digits and -)\n');

    const noEnvironmentThere = await keyplane(['kafka', 'cluster', 'list', '--environment', 'env-nope00'], { home: suite.home });
    expect(noEnvironmentThere.code).toBe(1);
    expect(noEnvironmentThere.stderr).toBe("keyplane: error: --environment: The environment 'env-nope00' does not exist\n");
  });

  describe('keyplane schema-registry cluster', () => {
    it('create, list, a second one refused, delete', async () => {
      const out = await run(['schema-registry', 'cluster', 'create', 'registry', '--cloud', 'aws', '--region', 'us-east-1', '--package', 'advanced']);
      expect(snap(out)).toMatchSnapshot();
      const id = /lsrc-[a-z0-9]+/.exec(out)![0];

      const listed = await json<{ id: string; name: string; package: string; cloud: string }[]>(['schema-registry', 'cluster', 'list']);
      expect(listed).toMatchObject([{ id, name: 'registry', package: 'advanced', cloud: 'aws' }]);

      const second = await keyplane(['schema-registry', 'cluster', 'create', 'again', '--cloud', 'aws', '--region', 'us-east-1'], { home: suite.home });
      expect(second.code).toBe(1);
      expect(second.stderr).toBe(`keyplane: error: Environment '${env}' already has a Schema Registry, '${id}'\n`);

      expect(await run(['schema-registry', 'cluster', 'delete', id, '--force'])).toBe(`Deleted Schema Registry cluster "${id}".\n`);
    });
  });

  describe('keyplane ksql cluster', () => {
    let ksqlId: string;

    it('create runs on a Kafka cluster, as a credential identity', async () => {
      const config = JSON.parse(readFileSync(join(suite.home, '.keyplane', 'config.json'), 'utf8')) as {
        current_context: string;
        contexts: Record<string, { principal: string }>;
      };
      const principal = config.contexts[config.current_context]!.principal;
      const out = await run(['ksql', 'cluster', 'create', 'analytics', '--cluster', dedicated, '--csu', '8', '--credential-identity', principal]);
      expect(snap(out)).toMatchSnapshot();
      ksqlId = /lksqlc-[a-z0-9]+/.exec(out)![0];

      expect(snap(await run(['ksql', 'cluster', 'list']))).toMatchSnapshot();
      const described = await json<Record<string, unknown>>(['ksql', 'cluster', 'describe', ksqlId]);
      expect(described).toMatchObject({
        id: ksqlId,
        kafka: dedicated,
        csu: 8,
        storage: 1000,
        credential_identity: principal,
        detailed_processing_log: 'true',
        cloud: 'gcp',
        region: 'us-central1',
      });
    });

    it('names the flag the server refused', async () => {
      const unknownKafka = await keyplane(['ksql', 'cluster', 'create', 'x', '--cluster', 'lkc-nope00'], { home: suite.home });
      expect(unknownKafka.code).toBe(1);
      expect(unknownKafka.stderr).toBe("keyplane: error: --cluster: The Kafka cluster 'lkc-nope00' does not exist\n");

      const badCsu = await keyplane(['ksql', 'cluster', 'create', 'x', '--cluster', dedicated, '--csu', '3'], { home: suite.home });
      expect(badCsu.code).toBe(1);
      expect(badCsu.stderr).toBe('keyplane: error: --csu must be one of 1, 2, 4, 8, 12, 28\n');
    });

    it('deleting the Kafka cluster deletes the ksqlDB clusters on it', async () => {
      expect(await json(['kafka', 'cluster', 'delete', dedicated, '--force'])).toEqual({ deleted: dedicated });
      expect(await json(['ksql', 'cluster', 'list'])).toEqual([]);

      const gone = await keyplane(['ksql', 'cluster', 'delete', ksqlId, '--force'], { home: suite.home });
      expect(gone.code).toBe(1);
      expect(gone.stderr).toBe(
        `keyplane: error: ksqlDB cluster "${ksqlId}" does not exist in environment "${env}", or you may not see it; see "keyplane ksql cluster list --environment ${env}"\n`,
      );
    });
  });
});
