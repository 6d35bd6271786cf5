import { and, eq, inArray, sql } from 'drizzle-orm';
import { AppError } from '@anh/domain/errors';
import { variableByCode } from '@anh/domain/catalog';
import type { MemberRole, PointKind } from '@anh/domain/tenancy';
import type { SourceConfig } from '@anh/domain/connector-config';
import {
  tagKeyOf,
  type ImportedMapping,
  type MappedVariable,
  type TagAddress,
} from '@anh/domain/tag-mapping';
import type { TenantTx } from './client';
import { appendTenantAudit } from './audit-store';
import {
  alertRecipients,
  connectorSources,
  measurementPoints,
  sites,
  tagMappings,
  variables,
} from './schema/tenant';

/**
 * Configuring a tenant's field: sites, measurement points, variables from the catalog,
 * connector sources, the tag mapping and alert recipients. Every change is one
 * transaction with its audit entry: who, what, the row before and after.
 * Unique-key clashes become CONFLICT errors whose message names the clash in Spanish
 * and English (`español / English`), for the form that caused them.
 */
export interface Actor {
  /** `user:<id>`, as every audit entry names people. */
  actor: string;
}

async function audit(
  tx: TenantTx,
  who: Actor,
  action: string,
  entity: string,
  entityId: string,
  before: unknown,
  after: unknown,
): Promise<void> {
  await appendTenantAudit(tx, {
    actor: who.actor,
    action,
    entity,
    entityId,
    data: { before: before ?? null, after: after ?? null },
  });
}

/** PostgreSQL's unique_violation, optionally for one constraint. */
function isUniqueViolation(error: unknown, constraint?: string): boolean {
  const e = error as { code?: string; constraint?: string; cause?: unknown } | null;
  if (e?.code === '23505') return constraint === undefined || e.constraint === constraint;
  return e?.cause !== undefined && isUniqueViolation(e.cause, constraint);
}

/** Runs `work` in a savepoint so a unique violation can become a typed error. */
async function uniquely<T>(
  tx: TenantTx,
  work: (tx: TenantTx) => Promise<T>,
  clash: Record<string, () => AppError>,
): Promise<T> {
  try {
    return await tx.transaction(work);
  } catch (error) {
    for (const [constraint, make] of Object.entries(clash))
      if (isUniqueViolation(error, constraint)) throw make();
    throw error;
  }
}

// --- sites -------------------------------------------------------------------------

export interface SiteInput {
  code: string;
  name: string;
  fieldName: string;
  contract?: string | null;
  department?: string | null;
  municipality?: string | null;
  latitude?: number | null;
  longitude?: number | null;
  atmosphericPressurePsia?: number | null;
}

const siteCodeTaken = (code: string) => () =>
  new AppError(
    'CONFLICT',
    `Ya existe una estación con el código ${code} / a site with code ${code} already exists`,
    { details: { field: 'code' } },
  );

export async function createSite(tx: TenantTx, who: Actor, input: SiteInput) {
  const row = await uniquely(
    tx,
    async (t) => (await t.insert(sites).values(input).returning())[0]!,
    { sites_code_unique: siteCodeTaken(input.code) },
  );
  await audit(tx, who, 'site.created', 'site', row.id, null, row);
  return row;
}

export async function updateSite(tx: TenantTx, who: Actor, id: string, input: SiteInput) {
  const [before] = await tx.select().from(sites).where(eq(sites.id, id)).for('update');
  if (!before) throw new AppError('NOT_FOUND', 'Estación no encontrada / site not found');
  const row = await uniquely(
    tx,
    async (t) => (await t.update(sites).set(input).where(eq(sites.id, id)).returning())[0]!,
    { sites_code_unique: siteCodeTaken(input.code) },
  );
  await audit(tx, who, 'site.updated', 'site', id, before, row);
  return row;
}

// --- measurement points ------------------------------------------------------------

export interface PointInput {
  siteId: string;
  code: string;
  name: string;
  kind: PointKind;
}

const pointCodeTaken = (code: string) => () =>
  new AppError(
    'CONFLICT',
    `Ya existe un punto ${code} en esta estación / point ${code} already exists at this site`,
    { details: { field: 'code' } },
  );

async function requireSite(tx: TenantTx, siteId: string) {
  const [site] = await tx.select({ id: sites.id }).from(sites).where(eq(sites.id, siteId));
  if (!site) throw new AppError('NOT_FOUND', 'Estación no encontrada / site not found');
}

export async function createPoint(tx: TenantTx, who: Actor, input: PointInput) {
  await requireSite(tx, input.siteId);
  const row = await uniquely(
    tx,
    async (t) => (await t.insert(measurementPoints).values(input).returning())[0]!,
    { measurement_points_site_code_key: pointCodeTaken(input.code) },
  );
  await audit(tx, who, 'point.created', 'measurement_point', row.id, null, row);
  return row;
}

export async function updatePoint(
  tx: TenantTx,
  who: Actor,
  id: string,
  input: Omit<PointInput, 'siteId'>,
) {
  const [before] = await tx
    .select()
    .from(measurementPoints)
    .where(eq(measurementPoints.id, id))
    .for('update');
  if (!before) throw new AppError('NOT_FOUND', 'Punto no encontrado / point not found');
  const row = await uniquely(
    tx,
    async (t) =>
      (
        await t.update(measurementPoints).set(input).where(eq(measurementPoints.id, id)).returning()
      )[0]!,
    { measurement_points_site_code_key: pointCodeTaken(input.code) },
  );
  await audit(tx, who, 'point.updated', 'measurement_point', id, before, row);
  return row;
}

// --- variables ---------------------------------------------------------------------

export interface VariableInput {
  pointId: string;
  code: string;
  unit: string;
  expectedPerSlot?: number;
  rolloverAt?: number | null;
}

/** Adds a catalog variable to a point, in one of the units the catalog accepts for it. */
export async function addVariable(tx: TenantTx, who: Actor, input: VariableInput) {
  const definition = variableByCode(input.code);
  if (!definition)
    throw new AppError(
      'VALIDATION',
      `La variable ${input.code} no está en el catálogo / ${input.code} is not in the catalog`,
      { details: { field: 'code' } },
    );
  if (!(definition.inputUnits as readonly string[]).includes(input.unit))
    throw new AppError(
      'VALIDATION',
      `Unidad ${input.unit} no válida para ${input.code}; use una de: ${definition.inputUnits.join(', ')} / unit ${input.unit} is not valid for ${input.code}`,
      { details: { field: 'unit' } },
    );
  const [point] = await tx
    .select({ id: measurementPoints.id })
    .from(measurementPoints)
    .where(eq(measurementPoints.id, input.pointId));
  if (!point) throw new AppError('NOT_FOUND', 'Punto no encontrado / point not found');
  const row = await uniquely(
    tx,
    async (t) =>
      (
        await t
          .insert(variables)
          .values({
            pointId: input.pointId,
            code: input.code,
            unit: input.unit,
            expectedPerSlot: input.expectedPerSlot ?? 10,
            rolloverAt: input.rolloverAt ?? null,
          })
          .returning()
      )[0]!,
    {
      variables_point_code_key: () =>
        new AppError(
          'CONFLICT',
          `El punto ya tiene la variable ${input.code} / the point already has ${input.code}`,
          { details: { field: 'code' } },
        ),
    },
  );
  await audit(tx, who, 'variable.added', 'variable', row.id, null, row);
  return row;
}

// --- connector sources and the tag mapping ------------------------------------------

export async function listSources(tx: TenantTx, connectorId: string): Promise<SourceConfig[]> {
  const rows = await tx
    .select({ config: connectorSources.config })
    .from(connectorSources)
    .where(eq(connectorSources.connectorId, connectorId))
    .orderBy(connectorSources.sourceId);
  return rows.map((r) => r.config as SourceConfig);
}

export async function saveSource(
  tx: TenantTx,
  who: Actor,
  connectorId: string,
  source: SourceConfig,
): Promise<void> {
  const [before] = await tx
    .select()
    .from(connectorSources)
    .where(
      and(eq(connectorSources.connectorId, connectorId), eq(connectorSources.sourceId, source.id)),
    )
    .for('update');
  await tx
    .insert(connectorSources)
    .values({ connectorId, sourceId: source.id, config: source })
    .onConflictDoUpdate({
      target: [connectorSources.connectorId, connectorSources.sourceId],
      set: { config: source, updatedAt: sql`now()` },
    });
  await audit(
    tx,
    who,
    before ? 'connector_source.updated' : 'connector_source.created',
    'connector_source',
    `${connectorId}/${source.id}`,
    before?.config,
    source,
  );
}

export interface MappingRow extends MappedVariable {
  connectorId: string;
  tagKey: string;
}

/** The mapped variables of one connector (or of all connectors), with their point codes. */
export async function listMappings(tx: TenantTx, connectorId?: string): Promise<MappingRow[]> {
  const rows = await tx
    .select({
      variableId: tagMappings.variableId,
      connectorId: tagMappings.connectorId,
      sourceId: tagMappings.sourceId,
      tagKey: tagMappings.tagKey,
      address: tagMappings.address,
      scale: tagMappings.scale,
      offset: tagMappings.offset,
      pointCode: measurementPoints.code,
      variableCode: variables.code,
      unit: variables.unit,
    })
    .from(tagMappings)
    .innerJoin(variables, eq(variables.id, tagMappings.variableId))
    .innerJoin(measurementPoints, eq(measurementPoints.id, variables.pointId))
    .where(connectorId ? eq(tagMappings.connectorId, connectorId) : undefined)
    .orderBy(measurementPoints.code, variables.code);
  return rows.map((r) => ({ ...r, address: r.address as TagAddress }));
}

export interface MappingInput {
  variableId: string;
  connectorId: string;
  sourceId: string;
  address: TagAddress;
  scale: number;
  offset: number;
}

async function describeVariable(tx: TenantTx, variableId: string): Promise<string> {
  const [row] = await tx
    .select({ point: measurementPoints.code, code: variables.code })
    .from(variables)
    .innerJoin(measurementPoints, eq(measurementPoints.id, variables.pointId))
    .where(eq(variables.id, variableId));
  return row ? `${row.point} · ${row.code}` : variableId;
}

/**
 * Maps a variable to a source address (replacing its previous mapping). The source must
 * exist for that connector, and the address must not already feed another variable.
 */
export async function saveMapping(tx: TenantTx, who: Actor, input: MappingInput) {
  const [variable] = await tx
    .select({ id: variables.id })
    .from(variables)
    .where(eq(variables.id, input.variableId));
  if (!variable) throw new AppError('NOT_FOUND', 'Variable no encontrada / variable not found');
  const [source] = await tx
    .select({ id: connectorSources.sourceId })
    .from(connectorSources)
    .where(
      and(
        eq(connectorSources.connectorId, input.connectorId),
        eq(connectorSources.sourceId, input.sourceId),
      ),
    );
  if (!source)
    throw new AppError(
      'VALIDATION',
      `La fuente ${input.sourceId} no existe en este conector / source ${input.sourceId} does not exist on this connector`,
      { details: { field: 'sourceId' } },
    );
  const tagKey = tagKeyOf(input.sourceId, input.address);
  const [clash] = await tx
    .select({ variableId: tagMappings.variableId })
    .from(tagMappings)
    .where(and(eq(tagMappings.connectorId, input.connectorId), eq(tagMappings.tagKey, tagKey)));
  if (clash && clash.variableId !== input.variableId) {
    const other = await describeVariable(tx, clash.variableId);
    throw new AppError(
      'CONFLICT',
      `La etiqueta ${tagKey} ya está asignada a ${other} / tag ${tagKey} is already mapped to ${other}`,
      { details: { field: 'tag', tagKey, variableId: clash.variableId } },
    );
  }
  const [before] = await tx
    .select()
    .from(tagMappings)
    .where(eq(tagMappings.variableId, input.variableId))
    .for('update');
  const values = {
    variableId: input.variableId,
    connectorId: input.connectorId,
    sourceId: input.sourceId,
    tagKey,
    address: input.address,
    scale: input.scale,
    offset: input.offset,
  };
  const [row] = await uniquely(
    tx,
    (t) =>
      t
        .insert(tagMappings)
        .values(values)
        .onConflictDoUpdate({
          target: tagMappings.variableId,
          set: { ...values, updatedAt: sql`now()` },
        })
        .returning(),
    {
      tag_mappings_connector_tag_key: () =>
        new AppError(
          'CONFLICT',
          `La etiqueta ${tagKey} ya está asignada / tag ${tagKey} is already mapped`,
          {
            details: { field: 'tag', tagKey },
          },
        ),
    },
  );
  await audit(
    tx,
    who,
    before ? 'tag_mapping.updated' : 'tag_mapping.created',
    'tag_mapping',
    input.variableId,
    before,
    row,
  );
  return row!;
}

export async function removeMapping(tx: TenantTx, who: Actor, variableId: string): Promise<void> {
  const [before] = await tx
    .delete(tagMappings)
    .where(eq(tagMappings.variableId, variableId))
    .returning();
  if (!before) throw new AppError('NOT_FOUND', 'Sin asignación / no mapping');
  await audit(tx, who, 'tag_mapping.removed', 'tag_mapping', variableId, before, null);
}

/**
 * Replaces a connector's sources and mapping with an imported configuration file, all or
 * nothing. Every tag's binding must be a variable of this tenant whose point and code
 * match what the file says (a file edited by hand for another field is refused).
 */
export async function importConnectorMapping(
  tx: TenantTx,
  who: Actor,
  connectorId: string,
  imported: ImportedMapping,
): Promise<{ sources: number; tags: number }> {
  const ids = imported.tags.map((t) => t.variableId);
  const known =
    ids.length === 0
      ? []
      : await tx
          .select({ id: variables.id, code: variables.code, point: measurementPoints.code })
          .from(variables)
          .innerJoin(measurementPoints, eq(measurementPoints.id, variables.pointId))
          .where(
            inArray(
              variables.id,
              ids.filter((id) => /^[0-9a-f-]{36}$/i.test(id)),
            ),
          );
  const byId = new Map(known.map((k) => [k.id, k]));
  imported.tags.forEach((tag, index) => {
    const variable = byId.get(tag.variableId);
    if (!variable)
      throw new AppError(
        'VALIDATION',
        `tags.${index}: la variable ${tag.variableId} no existe en esta empresa / variable ${tag.variableId} does not exist in this company`,
        { details: { path: `tags.${index}.binding` } },
      );
    if (variable.code !== tag.variableCode || variable.point !== tag.pointCode)
      throw new AppError(
        'VALIDATION',
        `tags.${index}: la variable ${tag.variableId} es ${variable.point} · ${variable.code}, no ${tag.pointCode} · ${tag.variableCode} / binding does not match point and variable`,
        { details: { path: `tags.${index}` } },
      );
  });
  const before = {
    sources: await listSources(tx, connectorId),
    tags: await listMappings(tx, connectorId),
  };
  await tx.delete(tagMappings).where(eq(tagMappings.connectorId, connectorId));
  await tx.delete(connectorSources).where(eq(connectorSources.connectorId, connectorId));
  if (imported.sources.length > 0)
    await tx
      .insert(connectorSources)
      .values(imported.sources.map((s) => ({ connectorId, sourceId: s.id, config: s })));
  if (imported.tags.length > 0) {
    // A variable mapped on another connector moves to this one.
    await tx.delete(tagMappings).where(inArray(tagMappings.variableId, ids));
    await tx.insert(tagMappings).values(
      imported.tags.map((t) => ({
        variableId: t.variableId,
        connectorId,
        sourceId: t.sourceId,
        tagKey: tagKeyOf(t.sourceId, t.address),
        address: t.address,
        scale: t.scale,
        offset: t.offset,
      })),
    );
  }
  await audit(tx, who, 'tag_mapping.imported', 'connector', connectorId, before, imported);
  return { sources: imported.sources.length, tags: imported.tags.length };
}

// --- alert recipients --------------------------------------------------------------

export interface RecipientInput {
  name: string;
  channel: 'email' | 'sms';
  address: string;
  minSeverity: 'info' | 'warning' | 'critical';
  quietFromHour: number | null;
  quietToHour: number | null;
  enabled: boolean;
  /** The roles whose alerts this recipient hears (an alert's audience is a list of roles). */
  roles: MemberRole[];
  /** Only escalations (an alert left unacknowledged too long) reach this recipient. */
  escalationOnly: boolean;
}

const recipientTaken = (address: string) => () =>
  new AppError(
    'CONFLICT',
    `${address} ya está registrado en ese canal / ${address} is already registered on that channel`,
    { details: { field: 'address' } },
  );

export async function listRecipients(tx: TenantTx) {
  return tx.select().from(alertRecipients).orderBy(alertRecipients.channel, alertRecipients.name);
}

export async function saveRecipient(
  tx: TenantTx,
  who: Actor,
  id: string | null,
  input: RecipientInput,
) {
  if (id === null) {
    const row = await uniquely(
      tx,
      async (t) => (await t.insert(alertRecipients).values(input).returning())[0]!,
      { alert_recipients_channel_address_key: recipientTaken(input.address) },
    );
    await audit(tx, who, 'alert_recipient.created', 'alert_recipient', row.id, null, row);
    return row;
  }
  const [before] = await tx
    .select()
    .from(alertRecipients)
    .where(eq(alertRecipients.id, id))
    .for('update');
  if (!before) throw new AppError('NOT_FOUND', 'Destinatario no encontrado / recipient not found');
  const row = await uniquely(
    tx,
    async (t) =>
      (
        await t.update(alertRecipients).set(input).where(eq(alertRecipients.id, id)).returning()
      )[0]!,
    { alert_recipients_channel_address_key: recipientTaken(input.address) },
  );
  await audit(tx, who, 'alert_recipient.updated', 'alert_recipient', id, before, row);
  return row;
}

export async function removeRecipient(tx: TenantTx, who: Actor, id: string): Promise<void> {
  const [before] = await tx.delete(alertRecipients).where(eq(alertRecipients.id, id)).returning();
  if (!before) throw new AppError('NOT_FOUND', 'Destinatario no encontrado / recipient not found');
  await audit(tx, who, 'alert_recipient.removed', 'alert_recipient', id, before, null);
}
