import { useId, useState } from 'react';

/** The server's bounds on a console password. */
export const MIN_PASSWORD = 12;
export const MAX_PASSWORD = 256;

export interface NewPassword {
  password: string;
  confirm: string;
  setPassword: (value: string) => void;
  setConfirm: (value: string) => void;
  /** Why the pair cannot be sent, or undefined when it can. */
  problem: () => Error | undefined;
  clear: () => void;
}

export function useNewPassword(): NewPassword {
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  return {
    password,
    confirm,
    setPassword,
    setConfirm,
    problem: () => {
      if (password.length < MIN_PASSWORD || password.length > MAX_PASSWORD) {
        return new Error(`The password must be ${MIN_PASSWORD} to ${MAX_PASSWORD} characters long.`);
      }
      return password === confirm ? undefined : new Error('The two passwords are not the same.');
    },
    clear: () => {
      setPassword('');
      setConfirm('');
    },
  };
}

interface NewPasswordFieldsProps {
  value: NewPassword;
  label: string;
  confirmLabel: string;
  /** Said after the length rule in the hint. */
  note?: string;
}

/** A new password, its length rule and its confirmation. */
export function NewPasswordFields({ value, label, confirmLabel, note }: NewPasswordFieldsProps) {
  const id = useId();
  return (
    <>
      <label htmlFor={`${id}-password`}>{label}</label>
      <input
        id={`${id}-password`}
        type="password"
        autoComplete="new-password"
        required
        maxLength={MAX_PASSWORD}
        aria-describedby={`${id}-hint`}
        value={value.password}
        onChange={(e) => value.setPassword(e.target.value)}
      />
      <p id={`${id}-hint`} className="muted small">
        {MIN_PASSWORD} to {MAX_PASSWORD} characters.{note ? ` ${note}` : ''}
      </p>
      <label htmlFor={`${id}-confirm`}>{confirmLabel}</label>
      <input
        id={`${id}-confirm`}
        type="password"
        autoComplete="new-password"
        required
        value={value.confirm}
        onChange={(e) => value.setConfirm(e.target.value)}
      />
    </>
  );
}
