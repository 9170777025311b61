import { badField } from './errors.js';

/** Length limits of the free-text fields, in characters. */
export const textLimits = {
  displayName: 64,
  description: 128,
  fullName: 128,
  email: 254,
} as const;

// C0 and C1 control characters, DEL, and bidirectional overrides that can disguise text.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const HOSTILE_RE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
const HOSTILE_ALL_RE = new RegExp(HOSTILE_RE.source, 'g');

/** Text with the characters `checkText` refuses written as `\uXXXX`, for showing on a terminal. */
export function escapeHostile(text: string): string {
  return text.replace(HOSTILE_ALL_RE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * Checks a free-text field: its length and that it holds no control characters. Throws a
 * `bad_request` naming the field (a JSON pointer) otherwise.
 */
export function checkText(pointer: string, value: string, max: number, options: { required?: boolean } = {}): string {
  if (options.required && value.trim() === '') throw badField(pointer, `${pointer} must not be empty`);
  if ([...value].length > max) throw badField(pointer, `${pointer} must be at most ${max} characters`);
  if (HOSTILE_RE.test(value)) throw badField(pointer, `${pointer} must not contain control characters`);
  if (!value.isWellFormed()) throw badField(pointer, `${pointer} must be valid Unicode (it holds a lone surrogate)`);
  return value;
}

const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function checkEmail(pointer: string, value: string): string {
  checkText(pointer, value, textLimits.email, { required: true });
  if (!EMAIL_RE.test(value)) throw badField(pointer, `${pointer} must be an email address`);
  return value.toLowerCase();
}
