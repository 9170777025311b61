import { type FormEvent, useEffect, useId, useState } from 'react';
import { Link, useBlocker, useNavigate, useSearchParams } from 'react-router';
import { listAll, post } from '../api';
import { LoadedSelect } from '../components/loaded-select';
import { LeaveSecretDialog } from '../components/leave-secret-dialog';
import { ErrorMessage, PageHeader } from '../components/ui';
import { useLoad } from '../hooks';
import { type ClusterKind, clouds, clusterKinds, listClusters, listFlinkRegions, resourceKinds } from '../resources';
import { sitePath } from '../paths';
import { useSession, useSignedIn } from '../session';
import type { ApiKey, Environment, ServiceAccount } from '../types';

type OwnerChoice = 'me' | 'service-account';
type ScopeChoice = 'cloud' | 'global' | ClusterKind | 'flink' | 'tableflow';

const scopeTitles: Record<ScopeChoice, string> = {
  cloud: 'Cloud resource management',
  global: 'Global (management API)',
  kafka: 'Kafka cluster',
  'schema-registry': 'Schema Registry',
  ksqldb: 'ksqlDB cluster',
  flink: 'Flink region',
  tableflow: 'Tableflow',
};

const allScopes = Object.keys(scopeTitles) as ScopeChoice[];

/** Scopes of the whole organization: the resource id is the scope's name and there is no environment. */
function isOrganizationScope(scope: ScopeChoice): scope is 'cloud' | 'global' | 'tableflow' {
  return scope === 'cloud' || scope === 'global' || scope === 'tableflow';
}

/** The scopes a `scopes` query parameter offers (say `cloud,global`), else all of them. */
function offeredScopes(value: string | null): ScopeChoice[] {
  const named = (value ?? '').split(',').filter((s): s is ScopeChoice => (allScopes as string[]).includes(s));
  return named.length ? named : allScopes;
}

/** The scope a `resource` query parameter names, when the page is opened from a resource. */
function presetScope(resource: string | null): ScopeChoice | undefined {
  if (!resource) return undefined;
  if (resource === 'cloud' || resource === 'global' || resource === 'tableflow') return resource;
  if (resource.startsWith('lkc-')) return 'kafka';
  if (resource.startsWith('lsrc-')) return 'schema-registry';
  if (resource.startsWith('lksqlc-')) return 'ksqldb';
  if (/^(aws|gcp|azure)\./.test(resource)) return 'flink';
  return undefined;
}

interface Created {
  key: string;
  secret: string;
  owner: string;
  scope: string;
}

export function CreateKeyPage() {
  const [params] = useSearchParams();
  const returnTo = sitePath(params.get('return'), '/cloud-api-keys');
  const [created, setCreated] = useState<Created>();
  return created ? (
    <SecretStep created={created} returnTo={returnTo} onComplete={() => setCreated(undefined)} />
  ) : (
    <CreateForm returnTo={returnTo} onCreated={setCreated} />
  );
}

function CreateForm({ returnTo, onCreated }: { returnTo: string; onCreated: (created: Created) => void }) {
  const session = useSignedIn();
  const [params] = useSearchParams();
  const preset = presetScope(params.get('resource'));
  const presetEnvironment = params.get('environment') ?? '';

  const [owner, setOwner] = useState<OwnerChoice>(params.get('owner') ? 'service-account' : 'me');
  const [accountMode, setAccountMode] = useState<'existing' | 'new'>('existing');
  const [accountId, setAccountId] = useState(params.get('owner') ?? '');
  const [newAccountName, setNewAccountName] = useState('');
  const [newAccountDescription, setNewAccountDescription] = useState('');
  const offered = offeredScopes(params.get('scopes'));
  const [scope, setScope] = useState<ScopeChoice>(preset ?? offered[0]!);
  const [environmentId, setEnvironmentId] = useState(presetEnvironment);
  const [resourceId, setResourceId] = useState(preset && clusterKinds.includes(preset as ClusterKind) ? params.get('resource')! : '');
  const presetRegion = preset === 'flink' ? params.get('resource')! : '';
  const [cloud, setCloud] = useState(presetRegion ? presetRegion.split('.')[0]!.toUpperCase() : 'AWS');
  const [region, setRegion] = useState(presetRegion);
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);

  const accounts = useLoad(
    () => (owner === 'service-account' ? listAll<ServiceAccount>('/iam/v2/service-accounts') : Promise.resolve(undefined)),
    [owner],
  );
  const needsEnvironment = !isOrganizationScope(scope);
  const environments = useLoad(
    () => (needsEnvironment && !preset ? listAll<Environment>('/org/v2/environments') : Promise.resolve(undefined)),
    [needsEnvironment, preset],
  );
  const clusters = useLoad(
    () =>
      clusterKinds.includes(scope as ClusterKind) && !preset && environmentId
        ? listClusters(scope as ClusterKind, environmentId)
        : Promise.resolve(undefined),
    [scope, environmentId, preset],
  );
  const regions = useLoad(() => (scope === 'flink' && !preset ? listFlinkRegions(cloud) : Promise.resolve(undefined)), [scope, cloud, preset]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(undefined);
    let resource: { id: string; environment?: string };
    if (isOrganizationScope(scope)) resource = { id: scope };
    else if (scope === 'flink') resource = { id: region, environment: environmentId };
    else resource = { id: resourceId, environment: environmentId };
    if (!resource.id || (needsEnvironment && !environmentId)) {
      setError(new Error(scope === 'flink' ? 'Choose an environment, a cloud and a region.' : `Choose an environment and a ${scopeTitles[scope]}.`));
      return;
    }
    setBusy(true);
    try {
      let ownerId = session.user.id;
      if (owner === 'service-account') {
        if (accountMode === 'new') {
          const account = await post<ServiceAccount>('/iam/v2/service-accounts', {
            display_name: newAccountName.trim(),
            description: newAccountDescription.trim(),
          });
          // A failed key create below must not create the account twice on a retry.
          setAccountMode('existing');
          setAccountId(account.id);
          accounts.reload();
          ownerId = account.id;
        } else if (!accountId) {
          throw new Error('Choose a service account, or create one.');
        } else {
          ownerId = accountId;
        }
      }
      const spec: Record<string, unknown> = { owner: { id: ownerId }, resource };
      if (name.trim()) spec.display_name = name.trim();
      if (description.trim()) spec.description = description.trim();
      const key = await post<ApiKey>('/iam/v2/api-keys', { spec });
      onCreated({
        key: key.id,
        secret: key.spec.secret ?? '',
        owner: ownerId,
        scope: isOrganizationScope(scope) ? scopeTitles[scope] : `${scopeTitles[scope]} ${resource.id}`,
      });
    } catch (reason) {
      setError(reason);
      setBusy(false);
    }
  };

  return (
    <>
      <PageHeader title="Create API key" />
      <form className="card wizard" onSubmit={submit} aria-label="Create API key">
        <fieldset>
          <legend>Who will use this key?</legend>
          <label className="choice">
            <input type="radio" name="owner" value="me" checked={owner === 'me'} onChange={() => setOwner('me')} />
            <span>
              <strong>My account</strong>
              <span className="muted small"> — the key acts as you ({session.user.email}), with your roles.</span>
            </span>
          </label>
          <label className="choice">
            <input
              type="radio"
              name="owner"
              value="service-account"
              checked={owner === 'service-account'}
              onChange={() => setOwner('service-account')}
            />
            <span>
              <strong>Service account</strong>
              <span className="muted small"> — for an application; recommended for production.</span>
            </span>
          </label>
          {owner === 'service-account' ? (
            <div className="nested">
              <label className="choice">
                <input type="radio" name="account-mode" checked={accountMode === 'existing'} onChange={() => setAccountMode('existing')} />
                Existing account
              </label>
              <label className="choice">
                <input type="radio" name="account-mode" checked={accountMode === 'new'} onChange={() => setAccountMode('new')} />
                Create a new one
              </label>
              {accountMode === 'existing' ? (
                <>
                  <LoadedSelect
                    id="account"
                    label="Service account"
                    value={accountId}
                    onChange={setAccountId}
                    loaded={accounts}
                    placeholder={accounts.loading ? 'Loading…' : 'Choose a service account'}
                    option={(a) => ({ value: a.id, label: `${a.display_name} (${a.id})` })}
                  />
                  {accounts.data?.length === 0 ? <p className="muted small">There are no service accounts yet: create one.</p> : null}
                </>
              ) : (
                <>
                  <label htmlFor="new-account-name">Service account name</label>
                  <input id="new-account-name" required value={newAccountName} onChange={(e) => setNewAccountName(e.target.value)} />
                  <label htmlFor="new-account-description">Service account description</label>
                  <input id="new-account-description" value={newAccountDescription} onChange={(e) => setNewAccountDescription(e.target.value)} />
                </>
              )}
            </div>
          ) : null}
        </fieldset>

        <fieldset>
          <legend>Scope</legend>
          {preset ? (
            <p>
              {scopeTitles[preset]} <code>{params.get('resource')}</code>
              {presetEnvironment ? (
                <>
                  {' '}
                  in <code>{presetEnvironment}</code>
                </>
              ) : null}
            </p>
          ) : (
            <>
              <label htmlFor="scope">Resource type</label>
              <select
                id="scope"
                value={scope}
                onChange={(e) => {
                  setScope(e.target.value as ScopeChoice);
                  setResourceId('');
                }}
              >
                {offered.map((s) => (
                  <option key={s} value={s}>
                    {scopeTitles[s]}
                  </option>
                ))}
              </select>
              {needsEnvironment ? (
                <LoadedSelect
                  id="environment"
                  label="Environment"
                  value={environmentId}
                  onChange={setEnvironmentId}
                  loaded={environments}
                  placeholder="Choose an environment"
                  option={(env) => ({ value: env.id, label: `${env.display_name} (${env.id})` })}
                />
              ) : null}
              {clusterKinds.includes(scope as ClusterKind) && environmentId ? (
                <>
                  <LoadedSelect
                    id="resource"
                    label={scopeTitles[scope]}
                    value={resourceId}
                    onChange={setResourceId}
                    loaded={clusters}
                    placeholder={clusters.loading ? 'Loading…' : `Choose a ${scopeTitles[scope]}`}
                    option={(c) => ({ value: c.id, label: `${c.spec.display_name} (${c.id})` })}
                  />
                  {clusters.data?.length === 0 ? (
                    <p className="muted small">This environment has no {resourceKinds[scope as ClusterKind].title}.</p>
                  ) : null}
                </>
              ) : null}
              {scope === 'flink' ? (
                <>
                  <label htmlFor="cloud">Cloud</label>
                  <select
                    id="cloud"
                    value={cloud}
                    onChange={(e) => {
                      setCloud(e.target.value);
                      setRegion('');
                    }}
                  >
                    {clouds.map((c) => (
                      <option key={c}>{c}</option>
                    ))}
                  </select>
                  <LoadedSelect
                    id="region"
                    label="Region"
                    value={region}
                    onChange={setRegion}
                    loaded={regions}
                    placeholder="Choose a region"
                    option={(r) => ({ value: r.id, label: r.display_name })}
                  />
                </>
              ) : null}
            </>
          )}
        </fieldset>

        <fieldset>
          <legend>Details</legend>
          <label htmlFor="key-name">Name (optional)</label>
          <input id="key-name" value={name} onChange={(e) => setName(e.target.value)} />
          <label htmlFor="key-description-new">Description (optional)</label>
          <textarea id="key-description-new" rows={2} value={description} onChange={(e) => setDescription(e.target.value)} />
        </fieldset>

        <ErrorMessage error={error} />
        <div className="form-actions">
          <Link to={returnTo} className="button">
            Cancel
          </Link>
          <button type="submit" className="primary" disabled={busy}>
            {busy ? 'Creating…' : 'Create'}
          </button>
        </div>
      </form>
    </>
  );
}

/** The key and secret, shown this once; leaving before the box is ticked asks first. */
function SecretStep({ created, returnTo, onComplete }: { created: Created; returnTo: string; onComplete: () => void }) {
  const navigate = useNavigate();
  const { setUnsavedSecret } = useSession();
  const [saved, setSaved] = useState(false);
  const [copied, setCopied] = useState('');
  const savedId = useId();
  const blocker = useBlocker(({ currentLocation, nextLocation }) => !saved && currentLocation.pathname !== nextLocation.pathname);

  useEffect(() => {
    if (saved) return;
    // Signing out would drop the secret as surely as navigating: the Sign out button asks first too.
    setUnsavedSecret(true);
    const warn = (event: BeforeUnloadEvent) => {
      event.preventDefault();
      event.returnValue = '';
    };
    window.addEventListener('beforeunload', warn);
    return () => {
      setUnsavedSecret(false);
      window.removeEventListener('beforeunload', warn);
    };
  }, [saved, setUnsavedSecret]);

  const copy = async (what: string, text: string) => {
    try {
      await navigator.clipboard.writeText(text);
      setCopied(`${what} copied to the clipboard.`);
    } catch {
      setCopied(`Could not copy the ${what.toLowerCase()}: select it and copy it by hand.`);
    }
  };

  const download = () => {
    const text = `API key: ${created.key}\nAPI secret: ${created.secret}\n`;
    const url = URL.createObjectURL(new Blob([text], { type: 'text/plain' }));
    const anchor = document.createElement('a');
    anchor.href = url;
    anchor.download = `api-key-${created.key}.txt`;
    document.body.append(anchor);
    anchor.click();
    anchor.remove();
    setTimeout(() => URL.revokeObjectURL(url), 0);
  };

  return (
    <>
      <PageHeader title="Save your API key and secret" />
      <section className="card wizard" aria-labelledby="secret-heading">
        <h2 id="secret-heading">Your API key is ready</h2>
        <p className="notice">
          The secret is shown only now. Keyplane keeps only a hash of it and cannot show it again: copy it or download it
          and keep it somewhere safe.
        </p>
        <dl className="secret-facts">
          <div className="fact">
            <dt>API key</dt>
            <dd>
              <code data-testid="created-key">{created.key}</code>
              <button type="button" onClick={() => copy('API key', created.key)} aria-label="Copy API key">
                Copy
              </button>
            </dd>
          </div>
          <div className="fact">
            <dt>API secret</dt>
            <dd>
              <code data-testid="created-secret" className="secret">
                {created.secret}
              </code>
              <button type="button" onClick={() => copy('API secret', created.secret)} aria-label="Copy API secret">
                Copy
              </button>
            </dd>
          </div>
          <div className="fact">
            <dt>Owner</dt>
            <dd>
              <code>{created.owner}</code>
            </dd>
          </div>
          <div className="fact">
            <dt>Scope</dt>
            <dd>{created.scope}</dd>
          </div>
        </dl>
        <p role="status" className="muted small">
          {copied}
        </p>
        <button type="button" onClick={download}>
          Download
        </button>
        <div className="checkbox">
          <input id={savedId} type="checkbox" checked={saved} onChange={(e) => setSaved(e.target.checked)} />
          <label htmlFor={savedId}>I have saved my API key and secret</label>
        </div>
        <div className="form-actions">
          <button
            type="button"
            className="primary"
            disabled={!saved}
            onClick={() => {
              onComplete();
              // Replaced, so Back does not land on a live create form.
              navigate(returnTo, { replace: true });
            }}
          >
            Complete
          </button>
        </div>
      </section>
      {blocker.state === 'blocked' ? <LeaveSecretDialog onStay={() => blocker.reset()} onLeave={() => blocker.proceed()} /> : null}
    </>
  );
}
