// Evidence attachments: the list with download links (always served as a download, never
// inline), and an upload of one file (the request body is the file; `name` in the query).
import { useRef, useState } from 'preact/hooks';
import { api, apiUrl, failure } from '../../api';
import { can } from '../../session';
import { Ago, Empty, ErrorBox, Loading } from '../../ui/common';
import { toast } from '../../ui/toast';
import { useApi } from '../../ui/use-api';

function size(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

export function Attachments({ id, onChange }: { id: string; onChange: () => void }) {
  const files = useApi(() => api.GET('/api/v1/incidents/{id}/attachments', { params: { path: { id } } }), [id]);
  const list = files.data?.attachments ?? [];
  return (
    <section class="panel" aria-labelledby="att-h">
      <h2 id="att-h">Attachments</h2>
      {files.error ? <ErrorBox error={files.error} /> : null}
      {files.loading && !files.data ? <Loading what="attachments" /> : null}
      {files.data && list.length === 0 ? <Empty>No attachments.</Empty> : null}
      {list.length > 0 ? (
        <table class="data" data-table="attachments">
          <thead>
            <tr>
              <th scope="col">File</th>
              <th scope="col">Size</th>
              <th scope="col">SHA-256</th>
              <th scope="col">Added</th>
            </tr>
          </thead>
          <tbody>
            {list.map((a) => (
              <tr key={a.id} data-row-id={a.id}>
                <td class="wrap">
                  <a href={apiUrl(`/api/v1/incidents/${encodeURIComponent(id)}/attachments/${encodeURIComponent(a.id)}`)} download={a.name}>
                    {a.name}
                  </a>
                  <div class="muted small">{a.media_type}</div>
                </td>
                <td class="num">{size(a.size)}</td>
                <td class="mono small hash" title={a.sha256}>
                  {a.sha256.slice(0, 16)}…
                </td>
                <td>
                  {a.created_by} <Ago at={a.created} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {can('case:write') ? (
        <Upload
          id={id}
          onDone={() => {
            files.reload();
            onChange();
          }}
        />
      ) : null}
    </section>
  );
}

function Upload({ id, onDone }: { id: string; onDone: () => void }) {
  const input = useRef<HTMLInputElement>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    const file = input.current?.files?.[0];
    if (!file) return;
    setBusy(true);
    setError(null);
    try {
      const response = await fetch(apiUrl(`/api/v1/incidents/${encodeURIComponent(id)}/attachments`, { name: file.name }), {
        method: 'POST',
        body: file,
        credentials: 'same-origin',
        headers: { 'content-type': file.type || 'application/octet-stream' },
      });
      if (!response.ok) throw failure(await response.json().catch(() => undefined), response);
      if (input.current) input.current.value = '';
      toast(`${file.name} attached`);
      onDone();
    } catch (err) {
      setError(err as Error);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="row" onSubmit={submit}>
      <label for="att-file">Attach a file</label>
      <input id="att-file" type="file" ref={input} />
      <button type="submit" disabled={busy}>
        Upload
      </button>
      {error ? <ErrorBox error={error} /> : null}
    </form>
  );
}
