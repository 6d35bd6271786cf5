'use client';

import { useState } from 'react';
import type { SourceConfig, ModbusType } from '@anh/domain/connector-config';
import type { TagAddress } from '@anh/domain/tag-mapping';
import {
  ActionForm,
  FormProblem,
  optionalNumber,
  requiredNumber,
  text,
} from '~/components/action-form';
import { downloadText } from '~/components/download';
import { dictionary, type Locale } from '~/lib/i18n';
import { errorMessages, trpc } from '~/lib/trpc';

interface Mapping {
  variableId: string;
  connectorId: string;
  sourceId: string;
  tagKey: string;
  scale: number;
  offset: number;
}
interface Variable {
  id: string;
  code: string;
  unit: string;
  pointCode: string;
  siteCode: string;
}

const MODBUS_TYPES: ModbusType[] = [
  'float32',
  'float64',
  'int16',
  'uint16',
  'int32',
  'uint32',
  'bool',
];
type SourceType = SourceConfig['type'];

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
  const [sourceType, setSourceType] = useState<SourceType>('modbus-tcp');
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
              <strong>{s.id}</strong> · {s.type} ·{' '}
              {'host' in s
                ? `${s.host}:${s.port}`
                : 'endpoint' in s
                  ? s.endpoint
                  : 'url' in s
                    ? s.url
                    : ''}
            </li>
          ))}
        </ul>
        {editable && (
          <ActionForm
            locale={locale}
            name={t.saveSource}
            submitLabel={t.saveSource}
            className="inline-form"
            action={async (form) => {
              const id = text(form, 'id');
              const source: SourceConfig =
                sourceType === 'modbus-tcp'
                  ? {
                      id,
                      type: 'modbus-tcp',
                      host: text(form, 'host'),
                      port: requiredNumber(form, 'port', t.port, locale),
                      intervalMs: 1000,
                      timeoutMs: 1000,
                      maxGap: 8,
                    }
                  : sourceType === 'opcua'
                    ? ({
                        id,
                        type: 'opcua',
                        endpoint: text(form, 'endpoint'),
                      } as SourceConfig)
                    : ({ id, type: 'mqtt', url: text(form, 'url') } as SourceConfig);
              await trpc.connectors.saveSource.mutate({ tenantSlug: slug, connectorId, source });
              setMapSource(id);
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
                onChange={(e) => setSourceType(e.target.value as SourceType)}
              >
                <option value="modbus-tcp">Modbus TCP</option>
                <option value="opcua">OPC UA</option>
                <option value="mqtt">MQTT</option>
              </select>
            </label>
            {sourceType === 'modbus-tcp' && (
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
            )}
            {sourceType === 'opcua' && (
              <label>
                {t.endpoint}
                <input name="endpoint" required placeholder="opc.tcp://192.168.1.20:4840" />
              </label>
            )}
            {sourceType === 'mqtt' && (
              <label>
                {t.brokerUrl}
                <input name="url" required placeholder="mqtt://192.168.1.30:1883" />
              </label>
            )}
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
              let address: TagAddress;
              if (chosenSource.type === 'opcua')
                address = { opcua: { nodeId: text(form, 'nodeId') } };
              else if (chosenSource.type === 'mqtt') {
                const field = text(form, 'field');
                address = { mqtt: { topic: text(form, 'topic'), ...(field ? { field } : {}) } };
              } else
                address = {
                  modbus: {
                    unit: 1,
                    table: 'holding',
                    address: requiredNumber(form, 'register', t.register, locale),
                    type: text(form, 'modbusType') as ModbusType,
                    byteOrder: 'BE',
                    wordOrder: 'BE',
                  },
                };
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
            {chosenSource?.type === 'opcua' ? (
              <label>
                {t.nodeId}
                <input name="nodeId" required placeholder="ns=2;s=FT101.PV" />
              </label>
            ) : chosenSource?.type === 'mqtt' ? (
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
            ) : (
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
