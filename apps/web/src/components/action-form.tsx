'use client';

import { useRouter } from 'next/navigation';
import { useState, type FormEvent, type ReactNode } from 'react';
import { dictionary, type Locale } from '~/lib/i18n';
import { errorMessages } from '~/lib/trpc';

/** A problem found in the form before anything is sent, already in the user's language. */
export class FormProblem extends Error {}

export function text(form: FormData, name: string): string {
  const value = form.get(name);
  return typeof value === 'string' ? value.trim() : '';
}

export function optionalText(form: FormData, name: string): string | null {
  return text(form, name) || null;
}

/** A number as people type it here: `1.234,5` or `1234.5`; empty is null. */
export function optionalNumber(
  form: FormData,
  name: string,
  label: string,
  locale: Locale,
): number | null {
  const raw = text(form, name);
  if (raw === '') return null;
  const normalised = /,\d*$/.test(raw) ? raw.replaceAll('.', '').replace(',', '.') : raw;
  const value = Number(normalised);
  if (!Number.isFinite(value))
    throw new FormProblem(locale === 'en' ? `${label}: not a number` : `${label}: no es un número`);
  return value;
}

export function requiredNumber(form: FormData, name: string, label: string, locale: Locale) {
  const value = optionalNumber(form, name, label, locale);
  if (value === null)
    throw new FormProblem(locale === 'en' ? `${label}: required` : `${label}: obligatorio`);
  return value;
}

/**
 * A form that calls the server: busy while it runs, every problem listed in the user's
 * language, a confirmation when done, and the page's server data refreshed.
 */
export function ActionForm({
  locale,
  action,
  submitLabel,
  children,
  className = 'stack card',
  reset = true,
  name,
}: {
  locale: Locale;
  /** Returns what to confirm to the user (or nothing). */
  action: (form: FormData) => Promise<ReactNode | void>;
  submitLabel: string;
  children: ReactNode;
  className?: string;
  reset?: boolean;
  /** aria-label of the form, so tests and screen readers can find it. */
  name: string;
}) {
  const t = dictionary(locale);
  const router = useRouter();
  const [busy, setBusy] = useState(false);
  const [problems, setProblems] = useState<string[]>([]);
  const [done, setDone] = useState<ReactNode>(null);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const element = event.currentTarget;
    setBusy(true);
    setProblems([]);
    setDone(null);
    try {
      const result = await action(new FormData(element));
      setDone(result ?? t.saved);
      if (reset) element.reset();
      router.refresh();
    } catch (error) {
      setProblems(error instanceof FormProblem ? [error.message] : errorMessages(error, locale));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className={className} aria-label={name} onSubmit={(e) => void submit(e)}>
      {children}
      {problems.length > 0 && (
        <div className="error" role="alert">
          {problems.map((p) => (
            <p key={p}>{p}</p>
          ))}
        </div>
      )}
      {done !== null && (
        <div className="ok" role="status">
          {done}
        </div>
      )}
      <button className="primary" type="submit" disabled={busy}>
        {busy ? t.busy : submitLabel}
      </button>
    </form>
  );
}
