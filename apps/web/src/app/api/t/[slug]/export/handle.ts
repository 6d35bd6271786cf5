import ExcelJS from 'exceljs';
import { z } from 'zod';
import { findMembership, type Database } from '@anh/db';
import {
  countRawSamples,
  loadSeriesVariables,
  readRawSamples,
  readSeriesSlots,
  slotGrid,
  type SeriesVariable,
} from '@anh/db/corrections';
import { BOGOTA_OFFSET_MS, bogotaDayOf, SLOT_MS } from '@anh/domain/bogota-day';
import { DAY_MS } from '@anh/domain/corrections';
import { AppError, isAppError } from '@anh/domain/errors';
import { slugSchema, type MemberRole } from '@anh/domain/tenancy';
import { UNITS } from '@anh/domain/units';
import { localize, type Locale } from '~/lib/i18n';
import { PERMISSIONS } from '~/server/trpc/permissions';
import { instantSchema, rangeOf, slotRangeOf } from '~/server/trpc/routers/series';

/**
 * GET /api/t/[slug]/export?variableIds=a,b&from=&to=&format=csv|xlsx&level=slots|raw — a
 * series as a file: CSV (UTF-8 with BOM; `;` and decimal comma in Spanish, `,` and point
 * in English) or Excel (.xlsx: numbers as numbers, Bogotá times as dates, one sheet per
 * variable). For members who may read slots (`series.slots`); another tenant's variable
 * is not found. Slots are exported whole (10 minutes, corrected where corrected, the
 * measured values beside); raw samples as received, with their canonical value.
 */
type Client = Parameters<typeof readSeriesSlots>[0];

const ALLOWED: readonly MemberRole[] = PERMISSIONS['series.slots'];
export const MAX_EXPORT_ROWS = 500_000;
export const MAX_EXPORT_VARIABLES = 20;
export const MAX_RAW_EXPORT_DAYS = 31;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const exportQuerySchema = z.object({
  variableIds: z
    .string()
    .max(40 * MAX_EXPORT_VARIABLES)
    .transform((list) => [...new Set(list.split(',').map((id) => id.trim().toLowerCase()))])
    .pipe(
      z
        .array(z.string().regex(UUID, { message: 'Identificador inválido / invalid id' }))
        .min(1)
        .max(MAX_EXPORT_VARIABLES, {
          message: `Hasta ${MAX_EXPORT_VARIABLES} variables por archivo / up to ${MAX_EXPORT_VARIABLES} variables per file`,
        }),
    ),
  from: instantSchema,
  to: instantSchema,
  format: z.enum(['csv', 'xlsx']).default('csv'),
  level: z.enum(['slots', 'raw']).default('slots'),
});
export type ExportQuery = z.infer<typeof exportQuerySchema>;

/** A cell: text, a number, empty, or an instant shown as Bogotá local time. */
type Cell = string | number | null | { at: number };

interface Table {
  variable: SeriesVariable;
  rows: Cell[][];
}

const HEADERS = {
  slots: {
    es: [
      'Punto',
      'Variable',
      'Unidad',
      'Hora Bogotá',
      'UTC',
      'Valor',
      'Mínimo',
      'Máximo',
      'Incremento',
      'Completitud',
      'Bandera',
      'Corrección',
      'Razón',
      'Valor medido',
      'Incremento medido',
      'Bandera medida',
    ],
    en: [
      'Point',
      'Variable',
      'Unit',
      'Bogotá time',
      'UTC',
      'Value',
      'Min',
      'Max',
      'Increase',
      'Completeness',
      'Flag',
      'Correction',
      'Reason',
      'Measured value',
      'Measured increase',
      'Measured flag',
    ],
  },
  raw: {
    es: [
      'Punto',
      'Variable',
      'Unidad',
      'Hora Bogotá',
      'UTC',
      'Valor',
      'Valor recibido',
      'Unidad recibida',
      'Estado de la fuente',
      'Código de la fuente',
      'Bandera',
    ],
    en: [
      'Point',
      'Variable',
      'Unit',
      'Bogotá time',
      'UTC',
      'Value',
      'Value received',
      'Unit received',
      'Source status',
      'Source code',
      'Flag',
    ],
  },
} as const;

function problem(status: number, code: string, message: string): Response {
  return Response.json(
    { error: { code, message } },
    { status, headers: { 'cache-control': 'private, no-store' } },
  );
}

const lang = (locale: Locale) => (locale === 'en' ? 'en' : 'es');

/** Bogotá wall time as `2026-11-27 06:10:00`. */
export function bogotaText(ms: number): string {
  return new Date(ms + BOGOTA_OFFSET_MS).toISOString().slice(0, 19).replace('T', ' ');
}

async function slotTables(
  client: Client,
  variables: SeriesVariable[],
  fromMs: number,
  toMs: number,
  nowMs: number,
): Promise<Table[]> {
  const grid = slotGrid(fromMs, toMs, nowMs);
  const rows = variables.length * ((grid.to - grid.from) / SLOT_MS);
  if (rows > MAX_EXPORT_ROWS) throw tooMany(rows);
  const series = await readSeriesSlots(client, variables, fromMs, toMs, nowMs);
  return variables.map((variable) => {
    const unit = UNITS[variable.definition.canonicalUnit].label;
    const totalizer = variable.kind === 'totalizer';
    return {
      variable,
      rows: series
        .get(variable.id)!
        .map((s) => [
          variable.pointCode,
          variable.code,
          unit,
          { at: s.start },
          new Date(s.start).toISOString(),
          s.mean,
          s.min,
          s.max,
          totalizer ? s.delta : null,
          s.completeness,
          s.flag,
          s.correction?.method ?? null,
          s.correction?.reason ?? null,
          s.original ? s.original.mean : null,
          s.original && totalizer ? s.original.delta : null,
          s.original?.flag ?? null,
        ]),
    };
  });
}

async function rawTables(
  client: Client,
  variables: SeriesVariable[],
  fromMs: number,
  toMs: number,
): Promise<Table[]> {
  const count = await countRawSamples(
    client,
    variables.map((v) => v.id),
    fromMs,
    toMs,
  );
  if (count > MAX_EXPORT_ROWS) throw tooMany(count);
  const { samples } = await readRawSamples(client, variables, fromMs, toMs, MAX_EXPORT_ROWS);
  return variables.map((variable) => {
    const unit = UNITS[variable.definition.canonicalUnit].label;
    return {
      variable,
      rows: samples
        .get(variable.id)!
        .map((s) => [
          variable.pointCode,
          variable.code,
          unit,
          { at: s.ts },
          new Date(s.ts).toISOString(),
          s.value,
          s.rawValue,
          variable.inputUnit,
          s.sourceStatus,
          s.sourceCode,
          s.flag,
        ]),
    };
  });
}

function tooMany(rows: number): AppError {
  return new AppError(
    'PAYLOAD_TOO_LARGE',
    `El archivo tendría ${rows} filas (máximo ${MAX_EXPORT_ROWS}): acorte el rango o elija menos variables / the file would have ${rows} rows (at most ${MAX_EXPORT_ROWS}): shorten the range or choose fewer variables`,
    { details: { rows, max: MAX_EXPORT_ROWS } },
  );
}

/** A text cell a spreadsheet would run as a formula gets a leading apostrophe. */
const defused = (text: string) => (/^[=+\-@\t\r]/.test(text) ? `'${text}` : text);

/** CSV the way a spreadsheet of that language opens it. */
export function toCsv(headers: readonly string[], tables: Table[], locale: Locale): string {
  const spanish = locale !== 'en';
  const separator = spanish ? ';' : ',';
  const quote = (text: string) =>
    /[";,\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
  const cell = (value: Cell): string => {
    if (value === null) return '';
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) return '';
      const text = String(value);
      return spanish ? text.replace('.', ',') : text;
    }
    if (typeof value === 'object') return bogotaText(value.at);
    return quote(defused(value));
  };
  const lines = [headers.map((h) => quote(h)).join(separator)];
  for (const table of tables)
    for (const row of table.rows) lines.push(row.map(cell).join(separator));
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}

/** A sheet name Excel accepts (≤ 31 characters, none of []:*?/\), unique in the book. */
function sheetName(wanted: string, taken: Set<string>): string {
  const base = wanted.replace(/[[\]:*?/\\']/g, '-').slice(0, 31) || 'Hoja';
  let name = base;
  for (let n = 2; taken.has(name.toLowerCase()); n++)
    name = `${base.slice(0, 31 - String(n).length - 1)}~${n}`;
  taken.add(name.toLowerCase());
  return name;
}

/** A real workbook: one sheet per variable, Bogotá times as dates, numbers as numbers. */
export async function toXlsx(
  headers: readonly string[],
  tables: Table[],
): Promise<Uint8Array<ArrayBuffer>> {
  const book = new ExcelJS.Workbook();
  book.creator = 'ANH Smart Reporter';
  book.created = new Date();
  const taken = new Set<string>();
  for (const table of tables) {
    const sheet = book.addWorksheet(
      sheetName(`${table.variable.pointCode} ${table.variable.code}`, taken),
      { views: [{ state: 'frozen', ySplit: 1 }] },
    );
    sheet.columns = headers.map((header, i) => ({
      header,
      width: i === 3 ? 20 : i === 4 ? 26 : Math.max(12, header.length + 2),
      ...(i === 3 ? { style: { numFmt: 'yyyy-mm-dd hh:mm:ss' } } : {}),
    }));
    sheet.getRow(1).font = { bold: true };
    for (const row of table.rows)
      sheet.addRow(
        row.map((value) => {
          if (value === null) return null;
          // Excel has no time zones: the Bogotá wall time is written as the date itself.
          if (typeof value === 'object') return new Date(value.at + BOGOTA_OFFSET_MS);
          if (typeof value === 'number') return Number.isFinite(value) ? value : null;
          return defused(value);
        }),
      );
  }
  if (tables.length === 0) book.addWorksheet('-');
  return Uint8Array.from(new Uint8Array(await book.xlsx.writeBuffer()));
}

export interface ExportRequest {
  db: Database;
  userId: string | null;
  slug: string;
  locale: Locale;
  searchParams: URLSearchParams;
  nowMs?: number;
}

export async function handleExport(request: ExportRequest): Promise<Response> {
  const { db, userId, locale } = request;
  const say = (message: string) => localize(message, locale);
  if (!userId) return problem(401, 'UNAUTHENTICATED', say('Inicie sesión / sign in'));
  const slug = slugSchema.safeParse(request.slug);
  const membership = slug.success ? await findMembership(db, userId, slug.data) : null;
  if (!membership)
    return problem(404, 'NOT_FOUND', say('Empresa no encontrada / tenant not found'));
  if (!ALLOWED.includes(membership.role))
    return problem(
      403,
      'FORBIDDEN',
      `${say('Requiere rol / requires role')}: ${ALLOWED.join(', ')}`,
    );
  const parsed = exportQuerySchema.safeParse(Object.fromEntries(request.searchParams));
  if (!parsed.success)
    return problem(
      400,
      'VALIDATION',
      parsed.error.issues
        .map((issue) => `${issue.path.join('.')}: ${say(issue.message)}`)
        .join('; '),
    );
  const query = parsed.data;
  const nowMs = request.nowMs ?? Date.now();
  try {
    const { fromMs, toMs } =
      query.level === 'slots'
        ? slotRangeOf(query.from, query.to)
        : rangeOf(
            query.from,
            query.to,
            MAX_RAW_EXPORT_DAYS * DAY_MS,
            `${MAX_RAW_EXPORT_DAYS} días / days`,
          );
    const tables = await db.withTenantClient(membership.id, async (client) => {
      const variables = await loadSeriesVariables(client, query.variableIds);
      return query.level === 'slots'
        ? slotTables(client, variables, fromMs, toMs, nowMs)
        : rawTables(client, variables, fromMs, toMs);
    });
    const headers = HEADERS[query.level][lang(locale)];
    const name = `anh-${membership.slug}-${query.level}-${bogotaDayOf(fromMs)}_${bogotaDayOf(toMs - 1)}`;
    const common = {
      'cache-control': 'private, no-store',
      'x-content-type-options': 'nosniff',
    };
    if (query.format === 'csv')
      return new Response(toCsv(headers, tables, locale), {
        headers: {
          ...common,
          'content-type': 'text/csv; charset=utf-8',
          'content-disposition': `attachment; filename="${name}.csv"`,
        },
      });
    const body = await toXlsx(headers, tables);
    return new Response(body, {
      headers: {
        ...common,
        'content-type': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
        'content-disposition': `attachment; filename="${name}.xlsx"`,
        'content-length': String(body.byteLength),
      },
    });
  } catch (error) {
    if (isAppError(error))
      return problem(
        error.httpStatus,
        error.code === 'PAYLOAD_TOO_LARGE' ? 'TOO_MANY_ROWS' : error.code,
        say(error.message),
      );
    throw error;
  }
}
