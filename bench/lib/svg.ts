/** @module Minimal hand-written SVG line charts: panels with log-x/linear-y axes, series with markers, a legend. */

export interface Series {
  label: string;
  color: string;
  dashed: boolean;
  points: Array<[x: number, y: number]>;
}

export interface Panel {
  title: string;
  series: Series[];
}

const esc = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;");

/** "Nice" tick step for a range (1, 2 or 5 × 10^n). */
function ticks(max: number, count = 5): number[] {
  const raw = max / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw)!;
  return Array.from({ length: Math.ceil(max / step) + 1 }, (_, i) => Number((i * step).toPrecision(6)));
}

/** Panels side by side sharing the x values; y axes are per panel. */
export function chart(title: string, subtitle: string, xLabel: string, yLabel: string, xs: number[], panels: Panel[]): string {
  const pw = 360, ph = 300, left = 70, top = 80, gap = 75;
  const width = left + panels.length * (pw + gap) + 20;
  const legendSeries = panels[0]?.series ?? [];
  const height = top + ph + 60 + Math.ceil(legendSeries.length / 2) * 22 + 20;
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${left}" y="28" font-size="18" font-weight="bold">${esc(title)}</text>`,
    `<text x="${left}" y="50" fill="#555">${esc(subtitle)}</text>`,
  ];
  panels.forEach((panel, p) => {
    const ox = left + p * (pw + gap);
    const yMax = Math.max(1e-9, ...panel.series.flatMap((s) => s.points.map(([, y]) => y)));
    const yTicks = ticks(yMax);
    const yTop = yTicks.at(-1)!;
    const sx = (x: number) => ox + (x1 === x0 ? pw / 2 : ((Math.log(x) - Math.log(x0)) / (Math.log(x1) - Math.log(x0))) * pw);
    const sy = (y: number) => top + ph - (y / yTop) * ph;
    out.push(`<text x="${ox + pw / 2}" y="${top - 10}" text-anchor="middle" font-size="14" font-weight="bold">${esc(panel.title)}</text>`);
    for (const t of yTicks) {
      out.push(`<line x1="${ox}" x2="${ox + pw}" y1="${sy(t)}" y2="${sy(t)}" stroke="#e5e5e5"/>`, `<text x="${ox - 6}" y="${sy(t) + 4}" text-anchor="end">${t}</text>`);
    }
    for (const x of xs) {
      out.push(`<line x1="${sx(x)}" x2="${sx(x)}" y1="${top}" y2="${top + ph}" stroke="#f0f0f0"/>`, `<text x="${sx(x)}" y="${top + ph + 18}" text-anchor="middle">${x}</text>`);
    }
    out.push(`<rect x="${ox}" y="${top}" width="${pw}" height="${ph}" fill="none" stroke="#888"/>`);
    out.push(`<text x="${ox + pw / 2}" y="${top + ph + 38}" text-anchor="middle" fill="#333">${esc(xLabel)}</text>`);
    out.push(`<text transform="translate(${ox - 50} ${top + ph / 2}) rotate(-90)" text-anchor="middle" fill="#333">${esc(yLabel)}</text>`);
    for (const s of panel.series) {
      const pts = s.points.map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`);
      out.push(`<polyline points="${pts.join(" ")}" fill="none" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ""}/>`);
      for (const pt of pts) out.push(`<circle cx="${pt.split(",")[0]}" cy="${pt.split(",")[1]}" r="3.5" fill="${s.dashed ? "white" : s.color}" stroke="${s.color}" stroke-width="1.5"/>`);
    }
  });
  legendSeries.forEach((s, i) => {
    const lx = left + (i % 2) * 300, ly = top + ph + 64 + Math.floor(i / 2) * 22;
    out.push(`<line x1="${lx}" x2="${lx + 34}" y1="${ly}" y2="${ly}" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ""}/>`,
      `<circle cx="${lx + 17}" cy="${ly}" r="3.5" fill="${s.dashed ? "white" : s.color}" stroke="${s.color}" stroke-width="1.5"/>`,
      `<text x="${lx + 42}" y="${ly + 4}">${esc(s.label)}</text>`);
  });
  out.push("</svg>");
  return out.join("\n") + "\n";
}
