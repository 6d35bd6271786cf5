'use client';

import { useState } from 'react';
import { dictionary, type Locale } from '~/lib/i18n';

/**
 * Export buttons: the chosen variables over the page's range, as CSV or Excel, slots
 * (corrections applied, measured values beside) or raw samples. The file comes from
 * GET /api/t/[slug]/export (a plain download: the session cookie goes with it).
 */
export function ExportForm({
  slug,
  locale,
  from,
  to,
  current,
  variables,
}: {
  slug: string;
  locale: Locale;
  from: number;
  to: number;
  current: string;
  variables: Array<{ id: string; label: string }>;
}) {
  const w = dictionary(locale).pointDetail;
  const [chosen, setChosen] = useState<string[]>([current]);
  const [level, setLevel] = useState<'slots' | 'raw'>('slots');

  const href = (format: 'csv' | 'xlsx') => {
    const query = new URLSearchParams({
      variableIds: chosen.join(','),
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      format,
      level,
    });
    return `/api/t/${encodeURIComponent(slug)}/export?${query.toString()}`;
  };

  return (
    <section className="card pd-export" aria-label={w.export}>
      <h2>{w.export}</h2>
      <fieldset className="pd-checks">
        <legend>{w.exportVariables}</legend>
        {variables.map((v) => (
          <label key={v.id} className="pd-check">
            <input
              type="checkbox"
              checked={chosen.includes(v.id)}
              onChange={(e) =>
                setChosen(e.target.checked ? [...chosen, v.id] : chosen.filter((id) => id !== v.id))
              }
            />
            {v.label}
          </label>
        ))}
      </fieldset>
      <label>
        {w.exportLevel}
        <select value={level} onChange={(e) => setLevel(e.target.value as 'slots' | 'raw')}>
          <option value="slots">{w.exportSlots}</option>
          <option value="raw">{w.exportRaw}</option>
        </select>
      </label>
      {chosen.length === 0 ? (
        <p className="muted">{w.exportNone}</p>
      ) : (
        <p className="pd-buttons">
          <a className="button" href={href('csv')} download>
            {w.csv}
          </a>
          <a className="button" href={href('xlsx')} download>
            {w.excel}
          </a>
        </p>
      )}
    </section>
  );
}
