// @ts-check
/**
 * Draws the app's icons as PNG files into public/icons/ (`npm run icons -w @anh/web`),
 * from the same shapes as src/app/icon.svg (a dark rounded square with an amber drop), with
 * nothing but Node: the shapes are sampled 4×4 per pixel and the PNG is written by hand
 * (zlib for the image data). The files are committed; run this again only when the design
 * changes. Deterministic: the same input gives the same bytes.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';

const OUT = new URL('../public/icons/', import.meta.url);
const DARK = [0x1f, 0x29, 0x37];
const AMBER = [0xb4, 0x53, 0x09];
const WHITE = [0xff, 0xff, 0xff];

/** The drop of icon.svg (viewBox 0 0 64 64) as a closed polygon. */
function dropPolygon() {
  /** @type {Array<[number, number]>} */
  const points = [];
  /** @param {number[]} p0 @param {number[]} p1 @param {number[]} p2 @param {number[]} p3 */
  const cubic = (p0, p1, p2, p3) => {
    for (let i = 0; i <= 32; i++) {
      const t = i / 32;
      const u = 1 - t;
      const at = (/** @type {number} */ k) =>
        u * u * u * p0[k] + 3 * u * u * t * p1[k] + 3 * u * t * t * p2[k] + t * t * t * p3[k];
      points.push([at(0), at(1)]);
    }
  };
  // M32 10 c-9 12 -14 20 -14 28: down the left side.
  cubic([32, 10], [23, 22], [18, 30], [18, 38]);
  // a14 14 0 0 0 28 0: the round bottom, left to right through (32, 52).
  for (let i = 1; i < 64; i++) {
    const angle = Math.PI - (i / 64) * Math.PI;
    points.push([32 + 14 * Math.cos(angle), 38 + 14 * Math.sin(angle)]);
  }
  // c0-8 -5-16 -14-28: back up the right side.
  cubic([46, 38], [46, 30], [41, 22], [32, 10]);
  return points;
}

const DROP = dropPolygon();

/**
 * Where the horizontal line at `y` crosses the polygon, left to right: a point of that line
 * is inside when an odd number of crossings lie left of it (even-odd rule).
 * @param {Array<[number, number]>} poly @param {number} y
 */
function crossings(poly, y) {
  const xs = [];
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const [xi, yi] = poly[i];
    const [xj, yj] = poly[j];
    if (yi > y !== yj > y) xs.push(((xj - xi) * (y - yi)) / (yj - yi) + xi);
  }
  return xs.sort((a, b) => a - b);
}

/** @param {number[]} xs @param {number} x */
function insideAt(xs, x) {
  let hit = false;
  for (const c of xs) {
    if (c > x) break;
    hit = !hit;
  }
  return hit;
}

/** @param {number} x @param {number} y @param {number} radius (all in 64-units) */
function inRoundedSquare(x, y, radius) {
  const cx = Math.min(Math.max(x, radius), 64 - radius);
  const cy = Math.min(Math.max(y, radius), 64 - radius);
  return x >= 0 && x <= 64 && y >= 0 && y <= 64 && (x - cx) ** 2 + (y - cy) ** 2 <= radius ** 2;
}

/**
 * @param {number} size pixels
 * @param {{ background: 'rounded' | 'full' | 'none', dropScale: number, drop: number[] }} style
 */
function render(size, style) {
  const rgba = Buffer.alloc(size * size * 4);
  const n = 4; // samples per axis
  for (let py = 0; py < size; py++) {
    // The drop is scaled about the icon's centre: sample rows map back into its 64-units.
    const rows = Array.from({ length: n }, (_, sy) => {
      const y = ((py + (sy + 0.5) / n) / size) * 64;
      return { y, xs: crossings(DROP, 31 + (y - 32) / style.dropScale) };
    });
    for (let px = 0; px < size; px++) {
      let bg = 0;
      let fg = 0;
      for (const { y, xs } of rows) {
        for (let sx = 0; sx < n; sx++) {
          const x = ((px + (sx + 0.5) / n) / size) * 64;
          if (insideAt(xs, 32 + (x - 32) / style.dropScale)) fg++;
          else if (
            style.background === 'full' ||
            (style.background === 'rounded' && inRoundedSquare(x, y, 12))
          )
            bg++;
        }
      }
      const total = n * n;
      const covered = fg + bg;
      const i = (py * size + px) * 4;
      if (covered === 0) continue;
      for (let c = 0; c < 3; c++)
        rgba[i + c] = Math.round((style.drop[c] * fg + DARK[c] * bg) / covered);
      rgba[i + 3] = Math.round((255 * covered) / total);
    }
  }
  return png(size, size, rgba);
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

/** @param {Buffer} bytes */
function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** @param {string} type @param {Buffer} data */
function chunk(type, data) {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** RGBA, 8 bits per channel, no filtering. @param {number} width @param {number} height @param {Buffer} rgba */
function png(width, height, rgba) {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 6; // colour type: RGBA
  const rows = Buffer.alloc((width * 4 + 1) * height);
  for (let y = 0; y < height; y++)
    rgba.copy(rows, y * (width * 4 + 1) + 1, y * width * 4, (y + 1) * width * 4);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(rows, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

const ICONS = [
  // "any": the icon as drawn in icon.svg.
  ['icon-192.png', 192, { background: 'rounded', dropScale: 1, drop: AMBER }],
  ['icon-512.png', 512, { background: 'rounded', dropScale: 1, drop: AMBER }],
  // "maskable": full bleed, the drop inside the central 80 % safe zone.
  ['maskable-192.png', 192, { background: 'full', dropScale: 0.8, drop: AMBER }],
  ['maskable-512.png', 512, { background: 'full', dropScale: 0.8, drop: AMBER }],
  // iOS rounds the corners itself and shows transparency as black: full bleed.
  ['apple-touch-icon.png', 180, { background: 'full', dropScale: 0.9, drop: AMBER }],
  // Android's status-bar badge: only the alpha channel counts.
  ['badge-96.png', 96, { background: 'none', dropScale: 1.2, drop: WHITE }],
];

mkdirSync(OUT, { recursive: true });
for (const [name, size, style] of /** @type {Array<[string, number, any]>} */ (ICONS)) {
  writeFileSync(new URL(name, OUT), render(size, style));
  console.log(`icons: ${name} ${size}×${size}`);
}
