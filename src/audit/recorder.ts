import { AuthenticationBatcher, Batcher, type BatcherOptions } from '../dataplane/authentication-batcher.js';
import type { AuditRecording } from '../http/audit.js';
import { announceCommitted, appendAuditEvents, appendInTransaction, type AuditTrail } from '../services/audit-log.js';
import type { ServiceContext } from '../services/context.js';
import type { Store } from '../storage/store.js';
import { authenticationDraft } from './authentication.js';
import type { AuditCloudEvent, AuditDraft } from './cloud-event.js';
import type { CrnBuilders } from '../domain/crn.js';

/**
 * Where audit records go: changes straight into their transaction; reads, refused calls and
 * authentications in batches (each batch one transaction), so that recording costs a request
 * an array push. Listeners hear of every event once it is committed.
 */
export class AuditRecorder implements AuditRecording {
  private readonly calls: Batcher<AuditDraft>;
  /** Feeds authentication events in; give it to the services as their observer. */
  readonly authentications: AuthenticationBatcher;

  constructor(
    private readonly store: Store,
    private readonly trail: AuditTrail,
    crn: CrnBuilders,
    options: BatcherOptions,
  ) {
    this.calls = new Batcher<AuditDraft>({ write: (drafts) => this.write(drafts) }, options);
    this.authentications = new AuthenticationBatcher(
      { write: (events) => this.write(events.map((event) => authenticationDraft(crn, event))) },
      options,
    );
  }

  later(draft: AuditDraft): void {
    this.calls.add(draft);
  }

  now(ctx: ServiceContext, drafts: readonly AuditDraft[]): Promise<AuditCloudEvent[]> {
    return appendInTransaction(ctx.store, this.trail, drafts);
  }

  committed(events: readonly AuditCloudEvent[]): void {
    announceCommitted(this.trail, events);
  }

  /** Writes everything still held. */
  async flush(): Promise<void> {
    await this.calls.flush();
    await this.authentications.flush();
  }

  async stop(): Promise<void> {
    await this.calls.stop();
    await this.authentications.stop();
  }

  private async write(drafts: readonly AuditDraft[]): Promise<void> {
    this.committed(await appendAuditEvents(this.store, this.trail, drafts));
  }
}
