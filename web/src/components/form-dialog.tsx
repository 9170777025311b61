import type { FormEvent, ReactNode } from 'react';
import { useAction } from '../hooks';
import { Dialog, ErrorMessage } from './ui';

interface FormDialogProps {
  title: string;
  /** The submit button's text. */
  submit: string;
  /** Saves the form; a refusal shows in the dialog, which stays open. */
  onSubmit: () => Promise<void>;
  onClose: () => void;
  children: ReactNode;
}

/** A dialog holding one form: its fields, the API's refusal, then Cancel and the submit button. */
export function FormDialog({ title, submit, onSubmit, onClose, children }: FormDialogProps) {
  const action = useAction();
  return (
    <Dialog title={title} onClose={onClose}>
      <form
        onSubmit={(event: FormEvent) => {
          event.preventDefault();
          void action.run(onSubmit);
        }}
      >
        {children}
        <ErrorMessage error={action.error} />
        <div className="dialog-actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={action.busy}>
            {submit}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
