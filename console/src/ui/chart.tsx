// Charts as inline SVG (no script library, nothing fetched): bars, a line, and a heatmap colour.
// Colours come from the theme's CSS variables through classes.

export interface Bar {
  label: string;
  value: number;
  /** Shown in the tooltip instead of the label. */
  title?: string;
}

/** Vertical bars (a histogram): `onPick(i)` when a bar is clicked. */
export function Bars({ bars, height = 120, label, onPick }: { bars: Bar[]; height?: number; label: string; onPick?: (index: number) => void }) {
  const width = 1000;
  const max = Math.max(1, ...bars.map((b) => b.value));
  const w = bars.length ? width / bars.length : width;
  return (
    <svg class="chart bars" viewBox={`0 0 ${width} ${height + 18}`} preserveAspectRatio="none" role="img" aria-label={label}>
      {bars.map((b, i) => {
        const h = (b.value / max) * height;
        return (
          <g key={i} class={onPick ? 'pickable' : ''} onClick={onPick ? () => onPick(i) : undefined}>
            <title>{`${b.title ?? b.label}: ${b.value.toLocaleString()}`}</title>
            <rect class="bar-hit" x={i * w} y={0} width={w} height={height} />
            <rect class="bar" x={i * w + w * 0.1} y={height - h} width={Math.max(1, w * 0.8)} height={h} />
          </g>
        );
      })}
      <line class="axis" x1={0} y1={height} x2={width} y2={height} />
      {bars.length > 0 ? (
        <>
          <text class="axis-label" x={2} y={height + 14}>
            {bars[0]?.label}
          </text>
          <text class="axis-label end" x={width - 2} y={height + 14}>
            {bars[bars.length - 1]?.label}
          </text>
        </>
      ) : null}
    </svg>
  );
}

/** Horizontal bars with their labels and values: top-N lists. */
export function HBars({ bars, label, format }: { bars: Bar[]; label: string; format?: (v: number) => string }) {
  const max = Math.max(1, ...bars.map((b) => b.value));
  return (
    <table class="hbars" aria-label={label}>
      <tbody>
        {bars.map((b, i) => (
          <tr key={i}>
            <th scope="row" title={b.title ?? b.label}>
              {b.label}
            </th>
            <td class="hbar-cell">
              <svg viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true">
                <rect class="bar" x={0} y={1} width={(b.value / max) * 100} height={8} />
              </svg>
            </td>
            <td class="num">{format ? format(b.value) : b.value.toLocaleString()}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export interface Point {
  x: number;
  y: number;
}

/** One or more lines over a shared x range. */
export function Lines({ series, height = 140, label }: { series: { name: string; points: Point[] }[]; height?: number; label: string }) {
  const width = 1000;
  const all = series.flatMap((s) => s.points);
  if (all.length === 0) return <svg class="chart" viewBox={`0 0 ${width} ${height}`} role="img" aria-label={`${label}: no data`} />;
  const minX = Math.min(...all.map((p) => p.x));
  const maxX = Math.max(...all.map((p) => p.x), minX + 1);
  const maxY = Math.max(1, ...all.map((p) => p.y));
  const sx = (x: number) => ((x - minX) / (maxX - minX)) * (width - 4) + 2;
  const sy = (y: number) => height - 2 - (y / maxY) * (height - 4);
  return (
    <svg class="chart lines" viewBox={`0 0 ${width} ${height}`} preserveAspectRatio="none" role="img" aria-label={label}>
      {series.map((s, i) => (
        <polyline key={s.name} class={`line series-${i % 6}`} points={s.points.map((p) => `${sx(p.x)},${sy(p.y)}`).join(' ')}>
          <title>{s.name}</title>
        </polyline>
      ))}
    </svg>
  );
}

/** A heatmap class for a ratio 0..1 (`heat-0` … `heat-5`), or `heat-none`. */
export function heatClass(ratio: number | null | undefined): string {
  if (ratio === null || ratio === undefined || Number.isNaN(ratio)) return 'heat-none';
  return `heat-${Math.min(5, Math.max(0, Math.ceil(ratio * 5)))}`;
}
