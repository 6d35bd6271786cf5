/**
 * Sparkplug B details the library leaves to us. Integer metrics travel as unsigned
 * protobuf fields (Int8/16/32 in a uint32, Int64 in a uint64), so negative values arrive
 * as large unsigned numbers and must be sign-extended by their declared type; 64-bit
 * values arrive as Long objects.
 */
interface LongLike {
  low: number;
  high: number;
  unsigned?: boolean;
}

const isLong = (value: unknown): value is LongLike =>
  typeof value === 'object' && value !== null && 'low' in value && 'high' in value;

export function longToNumber(value: LongLike, signed: boolean): number {
  const high = signed ? value.high | 0 : value.high >>> 0;
  return high * 2 ** 32 + (value.low >>> 0);
}

/** The numeric value of a decoded metric, or null when it has none (strings, nulls…). */
export function sparkplugNumber(type: string | undefined, value: unknown): number | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (isLong(value))
    return longToNumber(value, type === 'Int64' || type === 'DateTime' ? type === 'Int64' : false);
  if (typeof value !== 'number' || !Number.isFinite(value)) return null;
  switch (type) {
    case 'Int8':
      return (value << 24) >> 24;
    case 'Int16':
      return (value << 16) >> 16;
    case 'Int32':
      return value | 0;
    default:
      return value;
  }
}

export type SparkplugMessageType =
  'NBIRTH' | 'NDEATH' | 'NDATA' | 'DBIRTH' | 'DDEATH' | 'DDATA' | 'NCMD' | 'DCMD' | 'STATE';

export interface SparkplugTopic {
  group: string;
  type: SparkplugMessageType;
  edge: string;
  device: string | null;
}

/** spBv1.0/<group>/<type>/<edge>[/<device>] */
export function parseSparkplugTopic(topic: string): SparkplugTopic | null {
  const parts = topic.split('/');
  if (parts[0] !== 'spBv1.0' || parts.length < 4 || parts.length > 5) return null;
  return {
    group: parts[1]!,
    type: parts[2] as SparkplugMessageType,
    edge: parts[3]!,
    device: parts[4] ?? null,
  };
}
