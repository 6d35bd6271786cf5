'use client';

import Link from 'next/link';
import { useState } from 'react';
import type { PointKind } from '@anh/domain/tenancy';
import { ActionForm, optionalNumber, optionalText, text } from '~/components/action-form';
import { dictionary, type Locale } from '~/lib/i18n';
import { trpc } from '~/lib/trpc';

interface Site {
  id: string;
  code: string;
  name: string;
  fieldName: string;
  points: Array<{ id: string; code: string; name: string; kind: PointKind; variables: number }>;
}
interface CatalogEntry {
  code: string;
  name: { es: string; en: string };
  pointKind: PointKind;
  inputUnits: string[];
}
interface Variable {
  id: string;
  code: string;
  unit: string;
  pointId: string;
}

const POINT_KINDS: PointKind[] = [
  'well',
  'separator',
  'tank',
  'fiscal_liquid_meter',
  'gas_meter',
  'injection',
  'flare',
];

export function SitesEditor({
  slug,
  locale,
  editable,
  sites,
  catalog,
  variables,
}: {
  slug: string;
  locale: Locale;
  editable: boolean;
  sites: Site[];
  catalog: CatalogEntry[];
  variables: Variable[];
}) {
  const t = dictionary(locale);
  const nameOf = (code: string) => {
    const entry = catalog.find((c) => c.code === code);
    return entry ? (locale === 'en' ? entry.name.en : entry.name.es) : code;
  };
  return (
    <>
      {sites.length === 0 && <p className="muted">{t.noSites}</p>}
      {sites.map((site) => (
        <section key={site.id} className="card" aria-label={`${t.sites} ${site.code}`}>
          <h2>
            {site.name} <span className="muted">({site.code})</span>
          </h2>
          <p className="muted">
            {t.field}: {site.fieldName}
          </p>
          {site.points.map((point) => (
            <details key={point.id} className="point">
              <summary>
                {point.code} · <Link href={`/t/${slug}/puntos/${point.id}`}>{point.name}</Link>{' '}
                <span className="muted">{t.pointKinds[point.kind]}</span> · {point.variables}{' '}
                {t.variables}
              </summary>
              <ul>
                {variables
                  .filter((v) => v.pointId === point.id)
                  .map((v) => (
                    <li key={v.id}>
                      {nameOf(v.code)}{' '}
                      <span className="muted">
                        ({v.code}, {v.unit})
                      </span>
                    </li>
                  ))}
              </ul>
              {editable && (
                <AddVariable
                  slug={slug}
                  locale={locale}
                  pointId={point.id}
                  pointCode={point.code}
                  options={catalog.filter((c) => c.pointKind === point.kind)}
                />
              )}
            </details>
          ))}
          {editable && (
            <ActionForm
              locale={locale}
              name={`${t.newPoint} ${site.code}`}
              submitLabel={t.newPoint}
              className="inline-form"
              action={async (form) => {
                await trpc.config.createPoint.mutate({
                  tenantSlug: slug,
                  siteId: site.id,
                  point: {
                    code: text(form, 'code'),
                    name: text(form, 'name'),
                    kind: text(form, 'kind') as PointKind,
                  },
                });
              }}
            >
              <label>
                {t.code}
                <input name="code" required maxLength={30} />
              </label>
              <label>
                {t.name}
                <input name="name" required maxLength={120} />
              </label>
              <label>
                {t.kind}
                <select name="kind" defaultValue="well">
                  {POINT_KINDS.map((k) => (
                    <option key={k} value={k}>
                      {t.pointKinds[k]}
                    </option>
                  ))}
                </select>
              </label>
            </ActionForm>
          )}
        </section>
      ))}
      {editable && (
        <ActionForm
          locale={locale}
          name={t.newSite}
          submitLabel={t.newSite}
          action={async (form) => {
            await trpc.config.createSite.mutate({
              tenantSlug: slug,
              site: {
                code: text(form, 'code'),
                name: text(form, 'name'),
                fieldName: text(form, 'fieldName'),
                contract: optionalText(form, 'contract'),
                department: optionalText(form, 'department'),
                municipality: optionalText(form, 'municipality'),
                latitude: optionalNumber(form, 'latitude', t.latitude, locale),
                longitude: optionalNumber(form, 'longitude', t.longitude, locale),
                atmosphericPressurePsia: optionalNumber(
                  form,
                  'atmosphericPressurePsia',
                  t.atmosphericPressure,
                  locale,
                ),
              },
            });
          }}
        >
          <h2>{t.newSite}</h2>
          <label>
            {t.code}
            <input name="code" required maxLength={30} placeholder="CPF-RUBI" />
          </label>
          <label>
            {t.name}
            <input name="name" required maxLength={120} />
          </label>
          <label>
            {t.fieldName}
            <input name="fieldName" required maxLength={120} />
          </label>
          <label>
            {t.contract} <span className="muted">({t.optional})</span>
            <input name="contract" maxLength={120} />
          </label>
          <label>
            {t.department} <span className="muted">({t.optional})</span>
            <input name="department" maxLength={120} />
          </label>
          <label>
            {t.municipality} <span className="muted">({t.optional})</span>
            <input name="municipality" maxLength={120} />
          </label>
          <label>
            {t.latitude} <span className="muted">({t.optional})</span>
            <input name="latitude" inputMode="decimal" placeholder="4,1420" />
          </label>
          <label>
            {t.longitude} <span className="muted">({t.optional})</span>
            <input name="longitude" inputMode="decimal" placeholder="-72,9310" />
          </label>
          <label>
            {t.atmosphericPressure} <span className="muted">({t.optional})</span>
            <input name="atmosphericPressurePsia" inputMode="decimal" placeholder="14,2" />
          </label>
        </ActionForm>
      )}
    </>
  );
}

function AddVariable({
  slug,
  locale,
  pointId,
  pointCode,
  options,
}: {
  slug: string;
  locale: Locale;
  pointId: string;
  pointCode: string;
  options: CatalogEntry[];
}) {
  const t = dictionary(locale);
  const [code, setCode] = useState(options[0]?.code ?? '');
  const units = options.find((o) => o.code === code)?.inputUnits ?? [];
  return (
    <ActionForm
      locale={locale}
      name={`${t.addVariable} ${pointCode}`}
      submitLabel={t.add}
      className="inline-form"
      reset={false}
      action={async (form) => {
        await trpc.config.addVariable.mutate({
          tenantSlug: slug,
          pointId,
          code: text(form, 'code'),
          unit: text(form, 'unit'),
        });
      }}
    >
      <label>
        {t.variable}
        <select name="code" value={code} onChange={(e) => setCode(e.target.value)}>
          {options.map((o) => (
            <option key={o.code} value={o.code}>
              {locale === 'en' ? o.name.en : o.name.es} ({o.code})
            </option>
          ))}
        </select>
      </label>
      <label>
        {t.unit}
        <select name="unit" key={code}>
          {units.map((u) => (
            <option key={u} value={u}>
              {u}
            </option>
          ))}
        </select>
      </label>
    </ActionForm>
  );
}
