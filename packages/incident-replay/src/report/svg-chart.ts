/**
 * A dependency-free SVG line chart: enough for the replay's timelines, small
 * enough to read. Output is a standalone <svg> string (no scripts, no fonts to load).
 */
export interface Series {
  readonly name: string;
  readonly color: string;
  /** [x, y] pairs, x ascending. */
  readonly points: ReadonlyArray<readonly [number, number]>;
}

export interface Marker {
  readonly x: number;
  readonly label: string;
}

export interface LineChartSpec {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly Series[];
  readonly markers?: readonly Marker[];
  /** Shared y maximum, so side-by-side charts compare at a glance. */
  readonly yMax?: number;
  readonly xMax?: number;
  readonly width?: number;
  readonly height?: number;
}

const PAD = { left: 56, right: 16, top: 44, bottom: 36 };

export function lineChart(spec: LineChartSpec): string {
  const width = spec.width ?? 620;
  const height = spec.height ?? 240;
  const innerW = width - PAD.left - PAD.right;
  const innerH = height - PAD.top - PAD.bottom;
  const allX = spec.series.flatMap((s) => s.points.map((p) => p[0]));
  const allY = spec.series.flatMap((s) => s.points.map((p) => p[1]));
  const xMax = spec.xMax ?? Math.max(1, ...allX);
  const yMax = niceCeil(spec.yMax ?? Math.max(1, ...allY));
  const sx = (x: number) => PAD.left + (x / xMax) * innerW;
  const sy = (y: number) => PAD.top + innerH - (Math.min(y, yMax) / yMax) * innerH;

  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="11">`,
    `<text x="${PAD.left}" y="16" font-size="13" font-weight="600">${esc(spec.title)}</text>`,
  ];
  for (let i = 0; i <= 4; i++) {
    const y = (yMax * i) / 4;
    parts.push(
      `<line x1="${PAD.left}" x2="${width - PAD.right}" y1="${sy(y)}" y2="${sy(y)}" stroke="#e5e5e5"/>`,
      `<text x="${PAD.left - 6}" y="${sy(y) + 4}" text-anchor="end" fill="#555">${fmtTick(y)}</text>`,
    );
  }
  const xStep = niceCeil(xMax / 6);
  for (let x = 0; x <= xMax; x += xStep) {
    parts.push(
      `<text x="${sx(x)}" y="${height - PAD.bottom + 14}" text-anchor="middle" fill="#555">${fmtTick(x)}</text>`,
    );
  }
  parts.push(
    `<text x="${PAD.left + innerW / 2}" y="${height - 6}" text-anchor="middle" fill="#333">${esc(spec.xLabel)}</text>`,
    `<text transform="translate(12 ${PAD.top + innerH / 2}) rotate(-90)" text-anchor="middle" fill="#333">${esc(spec.yLabel)}</text>`,
  );
  for (const m of spec.markers ?? []) {
    parts.push(
      `<line x1="${sx(m.x)}" x2="${sx(m.x)}" y1="${PAD.top}" y2="${PAD.top + innerH}" stroke="#999" stroke-dasharray="4 3"/>`,
      // Near the right edge, the label goes on the left of its line.
      sx(m.x) > width - PAD.right - 90
        ? `<text x="${sx(m.x) - 3}" y="${PAD.top + 10}" text-anchor="end" fill="#666">${esc(m.label)}</text>`
        : `<text x="${sx(m.x) + 3}" y="${PAD.top + 10}" fill="#666">${esc(m.label)}</text>`,
    );
  }
  let lx = PAD.left;
  for (const s of spec.series) {
    if (s.points.length > 0) {
      const d = s.points.map(([x, y], j) => `${j === 0 ? 'M' : 'L'}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join('');
      parts.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="1.6"/>`);
    }
    // Legend on its own line under the title, each entry as wide as its name (about 6 px a character).
    parts.push(
      `<rect x="${lx}" y="25" width="10" height="3" fill="${s.color}"/>`,
      `<text x="${lx + 14}" y="30" fill="#333">${esc(s.name)}</text>`,
    );
    lx += Math.max(100, 14 + s.name.length * 6 + 16);
  }
  parts.push('</svg>');
  return parts.join('\n');
}

/** The smallest of 1, 2, 2.5, 5 × 10^k that is ≥ v: axis maxima and tick steps people can read. */
export function niceCeil(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (v <= m * p) return m * p;
  return 10 * p;
}

function fmtTick(v: number): string {
  if (v >= 1_000) return `${Math.round(v / 100) / 10}k`;
  return Number.isInteger(v) ? String(v) : v.toFixed(1);
}

function esc(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string);
}
