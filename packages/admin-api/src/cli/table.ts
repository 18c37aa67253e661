/** Longest cell a table shows; the full text is in --json. */
export const MAX_CELL_WIDTH = 60;

/** A plain-text table: a header row, then one row per item, columns padded to fit. */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const cells = [headers, ...rows].map((row) => row.map((cell) => clip(oneLine(cell))));
  const widths = headers.map((_, i) => Math.max(...cells.map((row) => [...(row[i] ?? '')].length)));
  return cells
    .map((row) =>
      row
        .map((cell, i) =>
          i === row.length - 1 ? cell : cell.padEnd((widths[i] as number) + cell.length - [...cell].length),
        )
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ');
}

function clip(text: string): string {
  const chars = [...text];
  return chars.length > MAX_CELL_WIDTH ? `${chars.slice(0, MAX_CELL_WIDTH - 1).join('')}…` : text;
}
