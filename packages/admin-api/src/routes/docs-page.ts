/** The parts of an OpenAPI document the docs page reads. */
interface OpenApiLike {
  info?: { title?: string; version?: string; description?: string };
  paths?: Record<string, Record<string, { summary?: string; description?: string }>>;
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );
}

/**
 * A self-contained HTML page listing the routes of an OpenAPI document: no
 * scripts, no CDN, so it renders on an air-gapped bastion mid-incident.
 */
export function renderDocsPage(doc: OpenApiLike, openapiPath: string): string {
  const rows: string[] = [];
  for (const [path, operations] of Object.entries(doc.paths ?? {})) {
    for (const method of METHODS) {
      const op = operations[method];
      if (!op) continue;
      rows.push(
        `<tr><td><code>${method.toUpperCase()}</code></td><td><code>${escapeHtml(path)}</code></td>` +
          `<td>${escapeHtml(op.summary ?? '')}</td><td>${escapeHtml(op.description ?? '')}</td></tr>`,
      );
    }
  }
  const title = escapeHtml(doc.info?.title ?? 'API');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${title}</title>
<style>body{font:14px/1.4 system-ui,sans-serif;margin:2em;max-width:70em}table{border-collapse:collapse}
td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}code{white-space:nowrap}</style>
</head><body>
<h1>${title} <small>${escapeHtml(doc.info?.version ?? '')}</small></h1>
<p>${escapeHtml(doc.info?.description ?? '')}</p>
<p>Machine-readable: <a href="${escapeHtml(openapiPath)}">${escapeHtml(openapiPath)}</a> (OpenAPI 3).</p>
<table><thead><tr><th>method</th><th>path</th><th>what</th><th>notes</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody></table>
</body></html>
`;
}
