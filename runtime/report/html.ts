// HTML building blocks for the self-contained report: inline CSS only, no scripts, fonts or URLs.

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${escapeHtml(title)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}

export function section(id: string, heading: string, content: string): string {
  return `<section id="${id}">\n<h2>${escapeHtml(heading)}</h2>\n${content}\n</section>`;
}

export function chart(name: string, svg: string, caption: string): string {
  return `<figure class="chart" data-chart="${name}">${svg}<figcaption>${escapeHtml(caption)}</figcaption></figure>`;
}

/** A table from rows of already-escaped cells; `highlight` marks rows (the best sweep point). */
export function table(headers: string[], rows: string[][], highlight: (i: number) => boolean = () => false): string {
  const head = headers.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const body = rows.map((r, i) => `<tr${highlight(i) ? ' class="best"' : ''}>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('\n');
  const thead = headers.some((h) => h) ? `<thead><tr>${head}</tr></thead>\n` : ''; // key/value tables need no header row
  return `<table>\n${thead}<tbody>\n${body}\n</tbody>\n</table>`;
}

/** Unified diff text as a <pre> with added and removed lines coloured. */
export function diffBlock(diff: string): string {
  const lines = diff.split('\n').map((l) => {
    const cls =
      l.startsWith('+++') || l.startsWith('---')
        ? 'file'
        : l.startsWith('@@')
          ? 'hunk'
          : l.startsWith('+')
            ? 'add'
            : l.startsWith('-')
              ? 'del'
              : '';
    return cls ? `<span class="${cls}">${escapeHtml(l)}</span>` : escapeHtml(l);
  });
  return `<pre class="diff">${lines.join('\n')}</pre>`;
}

const CSS = `
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; color: #222; background: #fafafa; margin: 0; }
main { max-width: 1100px; margin: 0 auto; padding: 24px 32px 48px; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.2em; border-bottom: 1px solid #ddd; padding-bottom: 4px; margin-top: 2em; }
.subtitle { color: #666; margin-top: 0; }
.status { display: inline-block; padding: 1px 8px; border-radius: 10px; font-weight: 600; font-size: 0.9em; }
.status.finished, .status.early-stopped { background: #e3f4e1; color: #2b6e27; }
.status.interrupted { background: #fff3d6; color: #8a5a00; }
.status.failed { background: #fde2e1; color: #a12622; }
table { border-collapse: collapse; margin: 8px 0; font-size: 0.92em; }
th, td { border: 1px solid #ddd; padding: 4px 10px; text-align: left; }
th { background: #f0f0f0; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.best td { background: #e3f4e1; font-weight: 600; }
pre { background: #fff; border: 1px solid #ddd; padding: 10px 12px; overflow-x: auto; font-size: 0.85em; line-height: 1.4; }
pre.diff .add { color: #2b6e27; background: #e9f7e7; display: inline-block; width: 100%; }
pre.diff .del { color: #a12622; background: #fdecea; display: inline-block; width: 100%; }
pre.diff .hunk { color: #6a4fa3; }
pre.diff .file { color: #666; font-weight: 600; }
figure.chart { background: #fff; border: 1px solid #e4e4e4; padding: 12px; margin: 12px 0; display: inline-block; }
figure.chart svg { display: block; max-width: 100%; height: auto; }
figcaption { color: #666; font-size: 0.85em; margin-top: 6px; }
.grid { display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start; }
.note { color: #666; font-style: italic; }
`;
