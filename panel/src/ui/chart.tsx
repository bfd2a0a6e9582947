/**
 * A small line chart in inline SVG (no chart library): one percentage series over time, with
 * guide lines at 0, 50 and 100 %, the newest value marked, the first and last sample's time
 * below, and its meaning in words for screen readers (the picture is `role="img"`).
 */
import { describe, polyline, type Point } from '../chart';

const width = 300;
const height = 72;
/** Room above 100 % and below 0 % so the line's stroke and the newest point are not cut. */
const pad = 4;

const clock = (ms: number) => new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });

export function LineChart({ label, points, now }: { label: string; points: Point[]; now: string }) {
  const line = polyline(points, width, height);
  const last = line.split(' ').pop()?.split(',');
  return (
    <figure className="chart card" data-chart={label} data-points={points.length}>
      <figcaption>
        <strong>{label}</strong> <span className="muted">{now}</span>
      </figcaption>
      <svg viewBox={`${-pad} ${-pad} ${width + 2 * pad} ${height + 2 * pad}`} role="img" aria-label={describe(label, points)}>
        {[0, 50, 100].map((pct) => (
          <line key={pct} className="guide" x1={0} x2={width} y1={height - (pct / 100) * height} y2={height - (pct / 100) * height} />
        ))}
        {points.length > 0 && <polyline className="series" points={line} />}
        {last && last.length === 2 && <circle className="newest" cx={last[0]} cy={last[1]} r={3} />}
      </svg>
      <div className="chart-axis muted small" aria-hidden="true">
        <span>{points.length > 0 ? clock(points[0]!.at) : 'no samples yet'}</span>
        <span>{points.length > 1 ? clock(points[points.length - 1]!.at) : ''}</span>
      </div>
    </figure>
  );
}
