'use client';

import { useState } from 'react';
import type { SourceConfig } from '@anh/domain/connector-config';
import type { TagAddress } from '@anh/domain/tag-mapping';
import { ActionForm, FormProblem, optionalNumber, text } from '~/components/action-form';
import { downloadText } from '~/components/download';
import { dictionary, type Dictionary, type Locale } from '~/lib/i18n';
import { errorMessages, trpc } from '~/lib/trpc';
import {
  addressKindOf,
  DEFAULT_IEC104_KIND,
  FORM_SOURCE_TYPES,
  IEC104_DEFAULTS,
  IEC104_SETTINGS,
  IEC104_TYPES,
  MODBUS_TYPES,
  readAddress,
  readSource,
  sourceSummary,
  type AddressKind,
  type FormSourceType,
} from './source-form';

interface Mapping {
  variableId: string;
  connectorId: string;
  sourceId: string;
  tagKey: string;
  scale: number;
  offset: number;
  address?: TagAddress;
}
interface Variable {
  id: string;
  code: string;
  unit: string;
  pointCode: string;
  siteCode: string;
}

export function MappingEditor({
  slug,
  locale,
  connectorId,
  editable,
  sources,
  mappings,
  variables,
}: {
  slug: string;
  locale: Locale;
  connectorId: string;
  editable: boolean;
  sources: SourceConfig[];
  mappings: Mapping[];
  variables: Variable[];
}) {
  const t = dictionary(locale);
  const [sourceType, setSourceType] = useState<FormSourceType>('modbus-tcp');
  const [mapSource, setMapSource] = useState(sources[0]?.id ?? '');
  const [problems, setProblems] = useState<string[]>([]);
  const mappingOf = new Map(mappings.map((m) => [m.variableId, m]));
  const chosenSource = sources.find((s) => s.id === mapSource);

  return (
    <>
      <section className="card">
        <h2>{t.sourcesTitle}</h2>
        <ul>
          {sources.map((s) => (
            <li key={s.id}>
              <strong>{s.id}</strong> · {s.type} · {sourceSummary(s)}
            </li>
          ))}
        </ul>
        {editable && sourceType === 'iec104' && <p className="muted">{t.iec104Intro}</p>}
        {editable && (
          <ActionForm
            locale={locale}
            name={t.saveSource}
            submitLabel={t.saveSource}
            className="inline-form"
            action={async (form) => {
              const source = readSource(form, sourceType, t, locale);
              await trpc.connectors.saveSource.mutate({ tenantSlug: slug, connectorId, source });
              setMapSource(source.id);
            }}
          >
            <label>
              {t.sourceId}
              <input name="id" required placeholder="plc1" pattern="[a-z0-9][a-z0-9_\-]{0,39}" />
            </label>
            <label>
              {t.sourceType}
              <select
                name="type"
                value={sourceType}
                onChange={(e) => setSourceType(e.target.value as FormSourceType)}
              >
                {FORM_SOURCE_TYPES.map((option) => (
                  <option key={option.type} value={option.type}>
                    {option.label}
                  </option>
                ))}
              </select>
            </label>
            {/* Remounted per protocol: no value typed for one is kept for another. */}
            <SourceFields key={sourceType} type={sourceType} t={t} />
          </ActionForm>
        )}
      </section>

      <section className="card">
        <h2>{t.mappingTitle}</h2>
        <p className="muted">{t.mappingIntro}</p>
        <div className="table-scroll">
          <table>
            <thead>
              <tr>
                <th>{t.variable}</th>
                <th>{t.unit}</th>
                <th>{t.address}</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {variables.map((v) => {
                const m = mappingOf.get(v.id);
                const elsewhere = m && m.connectorId !== connectorId;
                return (
                  <tr key={v.id}>
                    <td>
                      {v.siteCode} · {v.pointCode} · {v.code}
                    </td>
                    <td>{v.unit}</td>
                    <td>
                      {m ? (
                        <code>
                          {m.tagKey}
                          {m.address && 'iec104' in m.address ? ` (${m.address.iec104.type})` : ''}
                          {elsewhere ? ' *' : ''}
                        </code>
                      ) : (
                        <span className="muted">{t.unmapped}</span>
                      )}
                    </td>
                    <td>
                      {m && !elsewhere && editable && (
                        <button
                          type="button"
                          onClick={() =>
                            void trpc.connectors.removeMapping
                              .mutate({ tenantSlug: slug, variableId: v.id })
                              .then(() => window.location.reload())
                              .catch((e: unknown) => setProblems(errorMessages(e, locale)))
                          }
                        >
                          {t.remove}
                        </button>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
        {problems.length > 0 && (
          <div className="error" role="alert">
            {problems.map((p) => (
              <p key={p}>{p}</p>
            ))}
          </div>
        )}
        {editable && sources.length > 0 && (
          <ActionForm
            locale={locale}
            name={t.map}
            submitLabel={t.map}
            className="inline-form"
            reset={false}
            action={async (form) => {
              if (!chosenSource) throw new FormProblem(t.sourcesTitle);
              const address = readAddress(form, addressKindOf(chosenSource.type), t, locale);
              const saved = await trpc.connectors.saveMapping.mutate({
                tenantSlug: slug,
                connectorId,
                variableId: text(form, 'variableId'),
                sourceId: chosenSource.id,
                address,
                scale: optionalNumber(form, 'scale', t.scale, locale) ?? 1,
                offset: optionalNumber(form, 'offset', t.offset, locale) ?? 0,
              });
              return `${t.saved} ${saved.tagKey}`;
            }}
          >
            <label>
              {t.variable}
              <select name="variableId">
                {variables.map((v) => (
                  <option key={v.id} value={v.id}>
                    {v.pointCode} · {v.code}
                  </option>
                ))}
              </select>
            </label>
            <label>
              {t.sourceId}
              <select
                name="sourceId"
                value={mapSource}
                onChange={(e) => setMapSource(e.target.value)}
              >
                {sources.map((s) => (
                  <option key={s.id} value={s.id}>
                    {s.id}
                  </option>
                ))}
              </select>
            </label>
            {chosenSource && (
              <AddressFields
                // A new set of inputs per source: nothing typed for one protocol is sent for another.
                key={chosenSource.id}
                kind={addressKindOf(chosenSource.type)}
                t={t}
              />
            )}
            <label>
              {t.scale}
              <input name="scale" inputMode="decimal" placeholder="1" />
            </label>
            <label>
              {t.offset}
              <input name="offset" inputMode="decimal" placeholder="0" />
            </label>
          </ActionForm>
        )}
      </section>

      {editable && (
        <section className="card">
          <h2>{t.importConfig}</h2>
          <button
            type="button"
            onClick={() =>
              void trpc.connectors.downloadConfig
                .mutate({ tenantSlug: slug, connectorId })
                .then((file) => downloadText(file.fileName, file.yaml))
                .catch((e: unknown) => setProblems(errorMessages(e, locale)))
            }
          >
            {t.downloadConfig}
          </button>
          <ActionForm
            locale={locale}
            name={t.importConfig}
            submitLabel={t.importButton}
            className="inline-form"
            action={async (form) => {
              const file = form.get('file');
              if (!(file instanceof File) || file.size === 0) throw new FormProblem(t.importConfig);
              const result = await trpc.connectors.importConfig.mutate({
                tenantSlug: slug,
                connectorId,
                yaml: await file.text(),
              });
              return t.imported(result.sources, result.tags);
            }}
          >
            <input
              type="file"
              name="file"
              accept=".yaml,.yml,text/yaml"
              aria-label={t.importConfig}
            />
          </ActionForm>
        </section>
      )}
    </>
  );
}

/** The fields of the source form for one protocol. */
function SourceFields({ type, t }: { type: FormSourceType; t: Dictionary }) {
  switch (type) {
    case 'modbus-tcp':
      return (
        <>
          <label>
            {t.host}
            <input name="host" required placeholder="192.168.1.10" />
          </label>
          <label>
            {t.port}
            <input name="port" inputMode="numeric" defaultValue="502" />
          </label>
        </>
      );
    case 'opcua':
      return (
        <label>
          {t.endpoint}
          <input name="endpoint" required placeholder="opc.tcp://192.168.1.20:4840" />
        </label>
      );
    case 'mqtt':
      return (
        <label>
          {t.brokerUrl}
          <input name="url" required placeholder="mqtt://192.168.1.30:1883" />
        </label>
      );
    case 'iec104':
      return (
        <>
          <label>
            {t.host}
            <input name="host" required placeholder="192.168.1.40" />
          </label>
          <label>
            {t.port}
            <input name="port" inputMode="numeric" defaultValue={IEC104_DEFAULTS.port} />
          </label>
          {IEC104_SETTINGS.map((setting) => (
            <label key={setting}>
              {t.iec104Settings[setting]}
              <input
                name={setting}
                inputMode={setting === 'timeOffsetMinutes' ? 'text' : 'numeric'}
                defaultValue={IEC104_DEFAULTS[setting]}
              />
            </label>
          ))}
        </>
      );
    default: {
      const unknown: never = type;
      return unknown;
    }
  }
}

/** The address fields of the mapping form for the chosen source's protocol. */
function AddressFields({ kind, t }: { kind: AddressKind; t: Dictionary }) {
  switch (kind) {
    case 'opcua':
      return (
        <label>
          {t.nodeId}
          <input name="nodeId" required placeholder="ns=2;s=FT101.PV" />
        </label>
      );
    case 'mqtt':
      return (
        <>
          <label>
            {t.topic}
            <input name="topic" required />
          </label>
          <label>
            {t.jsonField} <span className="muted">({t.optional})</span>
            <input name="field" />
          </label>
        </>
      );
    case 'modbus':
      return (
        <>
          <label>
            {t.register}
            <input name="register" inputMode="numeric" required />
          </label>
          <label>
            {t.modbusType}
            <select name="modbusType" defaultValue="float32">
              {MODBUS_TYPES.map((m) => (
                <option key={m}>{m}</option>
              ))}
            </select>
          </label>
        </>
      );
    case 'iec104':
      return (
        <>
          <label>
            {t.commonAddress}
            <input name="ca" inputMode="numeric" required defaultValue="1" />
          </label>
          <label>
            {t.ioa}
            <input name="ioa" inputMode="numeric" required />
          </label>
          <label>
            {t.iec104Type}
            <select name="iec104Type" defaultValue={DEFAULT_IEC104_KIND}>
              {IEC104_TYPES.map((kind) => (
                <option key={kind} value={kind}>
                  {t.iec104Types[kind]}
                </option>
              ))}
            </select>
          </label>
        </>
      );
    default: {
      const unknown: never = kind;
      return unknown;
    }
  }
}
