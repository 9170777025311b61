import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cliSuite, inTerminal, keyplane, stable } from '../../../test/support/cli.js';

const suite = cliSuite();

let admin: string;
let org: string;
let environment: string;
let cluster: string;
let registry: string;
let serviceAccount: string;

interface ListedBinding {
  id: string;
  principal: string;
  email: string;
  role: string;
  environment: string | null;
  cloud_cluster: string | null;
  cluster_type: string | null;
  logical_cluster: string | null;
  resource_type: string | null;
  name: string | null;
  pattern_type: string | null;
  crn_pattern: string;
}

beforeAll(async () => {
  admin = (await suite.kp.api<{ spec: { owner: { id: string } } }>('GET', `/iam/v2/api-keys/${suite.kp.adminKey}`)).spec.owner.id;
  org = (await suite.kp.api<{ data: { id: string }[] }>('GET', '/org/v2/organizations')).data[0]!.id;
  environment = (await suite.kp.api<{ data: { id: string }[] }>('GET', '/org/v2/environments')).data[0]!.id;
  const place = { environment: { id: environment }, cloud: 'aws', region: 'us-east-1' };
  cluster = (await suite.kp.api<{ id: string }>('POST', '/cmk/v2/clusters', { spec: { display_name: 'orders', ...place, config: { kind: 'Basic' } } })).id;
  registry = (await suite.kp.api<{ id: string }>('POST', '/srcm/v3/clusters', { spec: { display_name: 'schemas', ...place } })).id;
  serviceAccount = (await suite.kp.api<{ id: string }>('POST', '/iam/v2/service-accounts', { display_name: 'orders-app' })).id;
});

const { run, json } = suite;
const rb = (...args: string[]) => ['iam', 'rbac', 'role-binding', ...args];
const orgCrn = () => `crn://confluent.cloud/organization=${org}`;
const envCrn = () => `${orgCrn()}/environment=${environment}`;
const exists = (id: string) =>
  suite.kp.api('GET', `/iam/v2/role-bindings/${id}`).then(
    () => true,
    () => false,
  );
const bind = (principal: string, role: string, crnPattern: string) =>
  suite.kp.api<{ id: string }>('POST', '/iam/v2/role-bindings', { principal, role_name: role, crn_pattern: crnPattern });

describe('keyplane iam rbac role-binding create', () => {
  it("builds the CRN pattern from Confluent's scope flags and shows the binding in Confluent's columns", async () => {
    const sa = `User:${serviceAccount}`;
    const topic = await run(rb('create', '--principal', sa, '--role', 'DeveloperRead', '--environment', environment, '--kafka-cluster', cluster, '--resource', 'Topic:orders'));
    expect(topic).toMatchObject({ code: 0, stderr: '' });
    expect(stable(topic.stdout)).toMatchSnapshot();

    const organization = await json<ListedBinding>(rb('create', '--principal', serviceAccount, '--role', 'MetricsViewer'));
    expect(organization).toMatchObject({ principal: sa, role: 'MetricsViewer', environment: null, crn_pattern: orgCrn() });
    const env = await json<ListedBinding>(rb('create', '--principal', sa, '--role', 'EnvironmentAdmin', '--environment', environment));
    expect(env).toMatchObject({ role: 'EnvironmentAdmin', environment, cloud_cluster: null, crn_pattern: envCrn() });
    const clusterAdmin = await json<ListedBinding>(rb('create', '--principal', sa, '--role', 'CloudClusterAdmin', '--environment', environment, '--cloud-cluster', cluster));
    expect(clusterAdmin).toMatchObject({ cloud_cluster: cluster, cluster_type: null, resource_type: null, crn_pattern: `${envCrn()}/cloud-cluster=${cluster}` });
    const kafka = await json<ListedBinding>(rb('create', '--principal', sa, '--role', 'DeveloperWrite', '--environment', environment, '--kafka-cluster', cluster));
    expect(kafka).toMatchObject({
      cluster_type: 'Kafka',
      logical_cluster: cluster,
      resource_type: 'Cluster',
      name: 'kafka-cluster',
      pattern_type: 'LITERAL',
      crn_pattern: `${envCrn()}/cloud-cluster=${cluster}/kafka=${cluster}`,
    });
    const subjects = await json<ListedBinding>(
      rb('create', '--principal', sa, '--role', 'DeveloperWrite', '--environment', environment, '--schema-registry-cluster', registry, '--resource', 'Subject:orders-', '--prefix'),
    );
    expect(subjects).toMatchObject({
      cloud_cluster: null,
      cluster_type: 'Schema Registry',
      logical_cluster: registry,
      resource_type: 'Subject',
      name: 'orders-',
      pattern_type: 'PREFIXED',
      crn_pattern: `${envCrn()}/schema-registry=${registry}/subject=orders-*`,
    });
    const assigner = await json<ListedBinding>(rb('create', '--principal', `User:${admin}`, '--role', 'Assigner', '--resource', `ServiceAccount:${serviceAccount}`));
    expect(assigner).toMatchObject({
      principal: `User:${admin}`,
      email: 'admin@keyplane.local',
      resource_type: 'ServiceAccount',
      name: serviceAccount,
      crn_pattern: `${orgCrn()}/service-account=${serviceAccount}`,
    });
    const direct = await json<ListedBinding>(rb('create', '--principal', sa, '--role', 'Operator', '--crn-pattern', envCrn()));
    expect(direct).toMatchObject({ role: 'Operator', environment, crn_pattern: envCrn() });
  });

  it('refuses flags that name no scope before asking the server, and passes its refusals on as one line', async () => {
    const sa = `User:${serviceAccount}`;
    const badRole = await run(rb('create', '--principal', sa, '--role', 'Nope'));
    expect(badRole.code).toBe(2);
    expect(badRole.stderr).toMatch(/^keyplane: error: --role must be one of OrganizationAdmin, .*DataSteward, not "Nope"\n$/);
    const noCluster = await run(rb('create', '--principal', sa, '--role', 'DeveloperRead', '--environment', environment, '--resource', 'Topic:orders'));
    expect(noCluster).toMatchObject({ code: 2, stderr: 'keyplane: error: a Topic resource needs --kafka-cluster\n' });
    const twoClusters = await run(rb('create', '--principal', sa, '--role', 'DeveloperRead', '--kafka-cluster', cluster, '--schema-registry-cluster', registry));
    expect(twoClusters).toMatchObject({
      code: 2,
      stderr: 'keyplane: error: --kafka-cluster and --schema-registry-cluster cannot be used together; a role binding is on one cluster at most\n',
    });
    const noEnvironment = await run(rb('create', '--principal', sa, '--role', 'CloudClusterAdmin', '--cloud-cluster', cluster));
    expect(noEnvironment).toMatchObject({
      code: 2,
      stderr: 'keyplane: error: no environment given; pass --environment env-…, or choose one with "keyplane environment use env-…"\n',
    });
    const mixed = await run(rb('create', '--principal', sa, '--role', 'Operator', '--crn-pattern', envCrn(), '--environment', environment));
    expect(mixed).toMatchObject({ code: 2, stderr: 'keyplane: error: --crn-pattern cannot be used with --environment\n' });
    const unknownCluster = await run(rb('create', '--principal', sa, '--role', 'CloudClusterAdmin', '--environment', environment, '--cloud-cluster', 'lkc-nosuch'));
    expect(unknownCluster).toMatchObject({ code: 1, stderr: "keyplane: error: crn_pattern: The Kafka cluster 'lkc-nosuch' does not exist\n" });
  });
});

describe('keyplane iam rbac role-binding list', () => {
  it('lists the bindings on a scope, or with --inclusive on everything in it, narrowed by principal and role', async () => {
    const sa = (await suite.kp.api<{ id: string }>('POST', '/iam/v2/service-accounts', { display_name: 'lister' })).id;
    const principal = `User:${sa}`;
    await bind(principal, 'MetricsViewer', orgCrn());
    await bind(principal, 'EnvironmentAdmin', envCrn());
    await bind(principal, 'DeveloperRead', `${envCrn()}/cloud-cluster=${cluster}/kafka=${cluster}/topic=clicks*`);
    await bind(principal, 'DeveloperManage', `${envCrn()}/cloud-cluster=${cluster}/kafka=${cluster}/topic=clicks`);

    const table = await run(rb('list', '--principal', principal, '--inclusive'));
    expect(table).toMatchObject({ code: 0, stderr: '' });
    expect(stable(table.stdout)).toMatchSnapshot();

    const organization = await json<ListedBinding[]>(rb('list'));
    expect(organization.map((b) => `${b.principal} ${b.role}`)).toEqual(expect.arrayContaining([`User:${admin} OrganizationAdmin`, `${principal} MetricsViewer`]));
    expect(organization.every((b) => b.crn_pattern === orgCrn())).toBe(true);
    // --current-environment is the environment the saved context uses ("keyplane environment use").
    const envHome = await suite.kp.loggedInHome();
    const configPath = join(envHome, '.keyplane', 'config.json');
    const config = JSON.parse(readFileSync(configPath, 'utf8'));
    config.contexts[config.current_context].environment = environment;
    writeFileSync(configPath, JSON.stringify(config));
    const onEnvironment = await keyplane([...rb('list', '--principal', principal, '--current-environment'), '-o', 'json'], { home: envHome });
    expect(onEnvironment).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(onEnvironment.stdout).map((b: ListedBinding) => b.role)).toEqual(['EnvironmentAdmin']);
    const byRole = await json<ListedBinding[]>(rb('list', '--role', 'DeveloperRead', '--environment', environment, '--inclusive', '--principal', sa));
    expect(byRole.map((b) => [b.role, b.name, b.pattern_type])).toEqual([['DeveloperRead', 'clicks', 'PREFIXED']]);
    const prefixed = await json<ListedBinding[]>(rb('list', '--environment', environment, '--kafka-cluster', cluster, '--resource', 'Topic:click', '--prefix'));
    expect(prefixed.map((b) => b.role).sort()).toEqual(['DeveloperManage', 'DeveloperRead']);
    const mine = await json<ListedBinding[]>(rb('list', '--current-user', '--inclusive'));
    expect(mine.length).toBeGreaterThan(0);
    expect(new Set(mine.map((b) => b.principal))).toEqual(new Set([`User:${admin}`]));
  });
});

describe('keyplane iam rbac role-binding delete', () => {
  it('asks at a terminal, showing the binding first: n keeps it, y deletes it', async () => {
    const { id } = await bind(`User:${serviceAccount}`, 'DeveloperRead', `${envCrn()}/cloud-cluster=${cluster}/kafka=${cluster}/group=readers`);
    const no = await inTerminal(rb('delete', id), { home: suite.home, answers: [{ after: '(y/n): ', type: 'n' }] });
    expect(no.code).toBe(1);
    expect(no.stdout).toMatch(new RegExp(`\\| ID {14}\\| ${id} +\\|\\n`));
    expect(no.stdout).toContain('| Resource Type   | Group ');
    expect(no.stdout).toContain(`Are you sure you want to delete role binding "${id}"? (y/n): n\n`);
    expect(no.stdout).toContain(`keyplane: error: cancelled; role binding "${id}" was not deleted`);
    expect(await exists(id)).toBe(true);

    const yes = await inTerminal(rb('delete', id), { home: suite.home, answers: [{ after: '(y/n): ', type: 'y' }] });
    expect(yes.code).toBe(0);
    expect(yes.stdout).toContain(`(y/n): y\nDeleted role binding "${id}".\n`);
    expect(await exists(id)).toBe(false);
  });

  it("deletes by id with --force, or by Confluent's --principal, --role and scope flags", async () => {
    const principal = `User:${serviceAccount}`;
    const byId = await bind(principal, 'DeveloperRead', `${envCrn()}/cloud-cluster=${cluster}/kafka=${cluster}/topic=payments`);
    expect(await json(rb('delete', byId.id, '--force'))).toEqual({ deleted: byId.id });
    expect(await exists(byId.id)).toBe(false);

    const literal = await bind(principal, 'DeveloperRead', `${envCrn()}/cloud-cluster=${cluster}/kafka=${cluster}/topic=audit`);
    const prefix = await bind(principal, 'DeveloperRead', `${envCrn()}/cloud-cluster=${cluster}/kafka=${cluster}/topic=audit*`);
    const scope = ['--principal', principal, '--role', 'DeveloperRead', '--environment', environment, '--kafka-cluster', cluster, '--resource', 'Topic:audit'];
    const byFlags = await run(rb('delete', ...scope, '--prefix', '--force'));
    expect(byFlags).toMatchObject({ code: 0, stderr: '', stdout: `Deleted role binding "${prefix.id}".\n` });
    expect(await exists(prefix.id)).toBe(false);
    expect(await exists(literal.id)).toBe(true);

    const none = await run(rb('delete', ...scope, '--prefix', '--force'));
    expect(none.code).toBe(1);
    expect(none.stderr).toBe(
      `keyplane: error: ${principal} has no DeveloperRead role binding on ${envCrn()}/cloud-cluster=${cluster}/kafka=${cluster}/topic=audit*; see "keyplane iam rbac role-binding list"\n`,
    );
    const both = await run(rb('delete', literal.id, '--role', 'DeveloperRead', '--force'));
    expect(both).toMatchObject({ code: 2, stderr: 'keyplane: error: a role binding named by id takes no --role; give the id, or the flags, not both\n' });
    const unknown = await run(rb('delete', 'rb-nosuch', '--force'));
    expect(unknown).toMatchObject({
      code: 1,
      stderr: 'keyplane: error: role binding "rb-nosuch" does not exist, or you may not see it; see "keyplane iam rbac role-binding list"\n',
    });
  });
});
