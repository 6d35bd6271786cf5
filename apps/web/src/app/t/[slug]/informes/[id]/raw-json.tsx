'use client';

import { useState } from 'react';
import { dictionary, type Locale } from '~/lib/i18n';

/**
 * JSON pretty-printed for reading, with arrays of plain values (the 144 slots) kept on
 * one line each, so a report stays a few hundred lines instead of tens of thousands.
 */
export function prettyJson(value: unknown, indent = ''): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    if (value.every((v) => v === null || typeof v !== 'object'))
      return `[${value.map((v) => JSON.stringify(v)).join(', ')}]`;
    return `[\n${value.map((v) => inner + prettyJson(v, inner)).join(',\n')}\n${indent}]`;
  }
  const entries = Object.entries(value);
  if (entries.length === 0) return '{}';
  return `{\n${entries
    .map(([k, v]) => `${inner}${JSON.stringify(k)}: ${prettyJson(v, inner)}`)
    .join(',\n')}\n${indent}}`;
}

/**
 * The stored file, fetched only when opened (a day's report is a few hundred kilobytes:
 * a phone should not load it unless asked).
 */
export function RawJson({ url, locale }: { url: string; locale: Locale }) {
  const r = dictionary(locale).reportsUi;
  const [state, setState] = useState<
    { kind: 'idle' } | { kind: 'loading' } | { kind: 'done'; text: string } | { kind: 'failed' }
  >({ kind: 'idle' });

  async function load() {
    setState({ kind: 'loading' });
    try {
      const response = await fetch(url, { credentials: 'same-origin' });
      if (!response.ok) throw new Error(String(response.status));
      setState({ kind: 'done', text: prettyJson(JSON.parse(await response.text())) });
    } catch {
      setState({ kind: 'failed' });
    }
  }

  return (
    <details
      className="raw-json"
      onToggle={(event) => {
        if (event.currentTarget.open && state.kind === 'idle') void load();
      }}
    >
      <summary>{r.rawJson}</summary>
      {state.kind === 'loading' && <p className="muted">{r.loading}</p>}
      {state.kind === 'failed' && (
        <p className="error" role="alert">
          {r.jsonFailed}{' '}
          <button type="button" onClick={() => void load()}>
            ↻
          </button>
        </p>
      )}
      {state.kind === 'done' && <pre>{state.text}</pre>}
    </details>
  );
}
