/** Prints rows of objects as an aligned text table (numbers right-aligned). */
export function printTable(rows, columns) {
  const cells = rows.map((r) => columns.map((c) => (typeof c.format === 'function' ? c.format(r[c.key], r) : String(r[c.key]))));
  const widths = columns.map((c, i) => Math.max(c.title.length, ...cells.map((row) => row[i].length)));
  const line = (values) => values.map((v, i) => (columns[i].align === 'left' ? v.padEnd(widths[i]) : v.padStart(widths[i]))).join('  ');
  console.log(line(columns.map((c) => c.title)));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of cells) console.log(line(row));
}
