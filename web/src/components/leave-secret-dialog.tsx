import { Dialog } from './ui';

/** Asks before leaving a new key's secret unsaved: by navigating away or by signing out. */
export function LeaveSecretDialog({ onStay, onLeave, leave = 'Leave' }: { onStay: () => void; onLeave: () => void; leave?: string }) {
  return (
    <Dialog title="Leave without saving the secret?" onClose={onStay} alert>
      <p>The secret is shown only once. If you leave now without saving it, it cannot be shown again and you will need a new key.</p>
      <div className="dialog-actions">
        <button type="button" className="primary" onClick={onStay} data-initial-focus>
          Stay
        </button>
        <button type="button" className="danger" onClick={onLeave}>
          {leave}
        </button>
      </div>
    </Dialog>
  );
}
