// Markdown tables for BENCHMARKS.md: a header row, an alignment row, and cells with pipes escaped.

/** Renders a GitHub-flavoured Markdown table; `numeric` columns are right-aligned. */
export function renderMarkdownTable(header: string[], rows: string[][], numeric: boolean[] = []): string {
  const cell = (text: string) => text.replaceAll('|', '\\|');
  const lines = [
    `| ${header.map(cell).join(' | ')} |`,
    `| ${header.map((_, index) => (numeric[index] === true ? '---:' : '---')).join(' | ')} |`,
    ...rows.map((row) => `| ${row.map(cell).join(' | ')} |`),
  ];
  return lines.join('\n');
}
