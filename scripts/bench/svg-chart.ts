/** A data series of a line chart: points as [x, y]. */
export interface Series {
  name: string;
  color: string;
  points: [number, number][];
  dashed?: boolean;
  /** Marker only, no line (a single measurement). */
  markerOnly?: boolean;
}

/** A horizontal reference line (a ceiling, a target). */
export interface Rule {
  y: number;
  label: string;
  color: string;
}

export interface Panel {
  title: string;
  yLabel: string;
  xLabel: string;
  /** The x values to tick; the x axis is logarithmic (base 2), as producer counts double. */
  xTicks: number[];
  series: Series[];
  rules?: Rule[];
  /** Logarithmic y axis (base 10), for latencies spanning milliseconds to seconds. */
  yLog?: boolean;
}

const WIDTH = 480;
const PLOT_HEIGHT = 240;
const MARGIN = { left: 64, right: 16, top: 36 };
const LEGEND_LINE = 16;
const FONT = 'font-family="system-ui, sans-serif"';

const escapeXml = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const fmt = (value: number) =>
  value >= 1e6
    ? `${Number((value / 1e6).toPrecision(3))}M`
    : value >= 1000
      ? `${Number((value / 1000).toPrecision(3))}k`
      : value >= 1
        ? String(Number(value.toPrecision(3)))
        : String(Number(value.toPrecision(2)));

/** Panels side by side in one SVG document, drawn from scratch (no chart library). */
export function renderChart(panels: Panel[]): string {
  const width = WIDTH * panels.length;
  const height =
    MARGIN.top + PLOT_HEIGHT + 48 + LEGEND_LINE * Math.max(...panels.map((p) => p.series.length));
  const body = panels.map((panel, i) => `<g transform="translate(${i * WIDTH},0)">${renderPanel(panel)}</g>`);
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">\n` +
    `<rect width="100%" height="100%" fill="white"/>\n${body.join('\n')}\n</svg>\n`
  );
}

function renderPanel(panel: Panel): string {
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = PLOT_HEIGHT;
  const values = [
    ...panel.series.flatMap((s) => s.points.map((p) => p[1])),
    ...(panel.rules ?? []).map((r) => r.y),
  ].filter((v) => Number.isFinite(v) && (!panel.yLog || v > 0));
  const xs = panel.xTicks.map(Math.log2);
  const xMin = Math.min(...xs);
  const xMax = Math.max(...xs);
  const x = (value: number) =>
    MARGIN.left + (xMax === xMin ? plotW / 2 : ((Math.log2(value) - xMin) / (xMax - xMin)) * plotW);

  let yTicks: number[];
  let y: (value: number) => number;
  if (panel.yLog) {
    const lo = Math.floor(Math.log10(Math.min(...values)));
    const hi = Math.max(lo + 1, Math.ceil(Math.log10(Math.max(...values))));
    yTicks = Array.from({ length: hi - lo + 1 }, (_, i) => 10 ** (lo + i));
    y = (value: number) => MARGIN.top + plotH - ((Math.log10(value) - lo) / (hi - lo)) * plotH;
  } else {
    const top = niceCeiling(Math.max(...values, 1) * 1.05);
    yTicks = Array.from({ length: 6 }, (_, i) => (top * i) / 5);
    y = (value: number) => MARGIN.top + plotH - (value / top) * plotH;
  }

  const parts: string[] = [];
  parts.push(
    `<text x="${WIDTH / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold" ${FONT}>${escapeXml(panel.title)}</text>`,
  );
  for (const tick of yTicks) {
    parts.push(
      `<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${y(tick)}" y2="${y(tick)}" stroke="#e5e5e5"/>`,
      `<text x="${MARGIN.left - 6}" y="${y(tick) + 4}" text-anchor="end" font-size="11" ${FONT}>${fmt(tick)}</text>`,
    );
  }
  for (const tick of panel.xTicks) {
    parts.push(
      `<line x1="${x(tick)}" x2="${x(tick)}" y1="${MARGIN.top}" y2="${MARGIN.top + plotH}" stroke="#f0f0f0"/>`,
      `<text x="${x(tick)}" y="${MARGIN.top + plotH + 16}" text-anchor="middle" font-size="11" ${FONT}>${tick}</text>`,
    );
  }
  parts.push(
    `<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#999"/>`,
    `<text x="${MARGIN.left + plotW / 2}" y="${MARGIN.top + plotH + 34}" text-anchor="middle" font-size="12" ${FONT}>${escapeXml(panel.xLabel)}</text>`,
    `<text transform="translate(16,${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle" font-size="12" ${FONT}>${escapeXml(panel.yLabel)}</text>`,
  );
  for (const rule of panel.rules ?? []) {
    parts.push(
      `<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${y(rule.y)}" y2="${y(rule.y)}" stroke="${rule.color}" stroke-width="1.5" stroke-dasharray="6 4"/>`,
      `<text x="${MARGIN.left + 6}" y="${y(rule.y) - 4}" font-size="11" fill="${rule.color}" ${FONT}>${escapeXml(rule.label)}</text>`,
    );
  }
  for (const series of panel.series) {
    const points = series.points.filter(([, v]) => Number.isFinite(v) && (!panel.yLog || v > 0));
    if (!series.markerOnly && points.length > 1) {
      const path = points.map(([px, py]) => `${x(px).toFixed(1)},${y(py).toFixed(1)}`).join(' ');
      parts.push(
        `<polyline points="${path}" fill="none" stroke="${series.color}" stroke-width="2"${series.dashed ? ' stroke-dasharray="4 3"' : ''}/>`,
      );
    }
    for (const [px, py] of points) {
      parts.push(
        series.markerOnly
          ? `<rect x="${x(px) - 5}" y="${y(py) - 5}" width="10" height="10" fill="${series.color}"/>`
          : `<circle cx="${x(px)}" cy="${y(py)}" r="3.5" fill="${series.color}"/>`,
      );
    }
  }
  // Legend under the axis, one entry per line.
  panel.series.forEach((series, i) => {
    const lx = MARGIN.left;
    const ly = MARGIN.top + plotH + 54 + i * LEGEND_LINE;
    parts.push(
      series.markerOnly
        ? `<rect x="${lx + 5}" y="${ly - 9}" width="10" height="10" fill="${series.color}"/>`
        : `<line x1="${lx}" x2="${lx + 20}" y1="${ly - 4}" y2="${ly - 4}" stroke="${series.color}" stroke-width="2"${series.dashed ? ' stroke-dasharray="4 3"' : ''}/>`,
      `<text x="${lx + 26}" y="${ly}" font-size="11" ${FONT}>${escapeXml(series.name)}</text>`,
    );
  });
  return parts.join('\n');
}

/** 1, 2 or 5 times a power of ten, at or above the value. */
function niceCeiling(value: number): number {
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}
