import { type ReactNode, useRef, useState } from 'react';
import { ApiError } from '../api';
import { useAction } from '../hooks';
import { Dialog, ErrorMessage, focusAfterDelete } from './ui';

interface ConfirmDialogProps {
  title: string;
  text: string;
  action: string;
  /** The button once the in-use guard refused; `${action} anyway` unless given. */
  forceAction?: string;
  /** `force` is true once the in-use guard refused and the user chose to delete anyway. */
  run: (force: boolean) => Promise<unknown>;
  onClose: () => void;
  onDone: () => void;
  /** While true (say, what the action affects is still loading) the action waits. */
  disabled?: boolean;
  /** What the action affects, shown below the text. */
  children?: ReactNode;
}

/** A yes/no dialog for an action that cannot be undone; the API's refusal shows inside it. */
export function ConfirmDialog({ title, text, action, forceAction, run, onClose, onDone, disabled, children }: ConfirmDialogProps) {
  const confirm = useAction();
  const [inUse, setInUse] = useState(false);
  // Once done, what the dialog was opened from is usually gone (a deleted row): focus goes to its list.
  const completed = useRef(false);
  return (
    <Dialog title={title} onClose={onClose} alert returnFocus={(opener) => (completed.current ? focusAfterDelete(opener) : opener)}>
      <p>{text}</p>
      {children}
      <ErrorMessage error={confirm.error} />
      <div className="dialog-actions">
        <button type="button" onClick={onClose} data-initial-focus>
          Cancel
        </button>
        <button
          type="button"
          className="danger"
          disabled={confirm.busy || disabled}
          onClick={() =>
            confirm.run(async () => {
              try {
                await run(inUse);
              } catch (reason) {
                if (reason instanceof ApiError && reason.code === 'principal_in_use') setInUse(true);
                throw reason;
              }
              completed.current = true;
              onDone();
            })
          }
        >
          {inUse ? (forceAction ?? `${action} anyway`) : action}
        </button>
      </div>
    </Dialog>
  );
}
