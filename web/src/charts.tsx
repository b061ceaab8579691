// Charts drawn with uPlot, loaded only when a chart is shown. Every chart is
// decorative for assistive technology (aria-hidden): the same numbers are in
// a table next to it.
import { useEffect, useRef } from 'preact/hooks';
import { formatDate, formatPercent } from './i18n';

type UPlot = typeof import('uplot');
async function loadUPlot(): Promise<UPlot> {
  const [{ default: uPlot }] = await Promise.all([import('uplot'), import('uplot/dist/uPlot.min.css')]);
  return uPlot;
}

const width = (el: HTMLElement) => Math.max(200, Math.min(640, (el.closest('figure')?.clientWidth ?? 640) - 40));
const percentAxis = { values: (_u: unknown, ticks: number[]) => ticks.map((n) => formatPercent(n)) };
const percentScale = { range: (): [number, number] => [0, 1] };

// Shares (0..1) by category, as bars.
export function BarChart({ labels, values, name }: { labels: string[]; values: number[]; name: string }) {
  const ref = useRef<HTMLDivElement>(null);
  const key = JSON.stringify([labels, values]);
  useEffect(() => {
    let plot: { destroy(): void } | undefined;
    let live = true;
    (async () => {
      if (!ref.current || labels.length === 0) return;
      const uPlot = await loadUPlot();
      if (!live || !ref.current) return;
      const xs = labels.map((_, i) => i);
      plot = new uPlot(
        {
          width: width(ref.current),
          height: 220,
          scales: { x: { time: false, range: () => [-0.5, labels.length - 0.5] }, y: percentScale },
          legend: { show: false },
          cursor: { show: false },
          axes: [{ splits: () => xs, values: (_u: unknown, ticks: number[]) => ticks.map((i) => labels[i] ?? ''), grid: { show: false } }, percentAxis],
          series: [{}, { label: name, stroke: '#1d4e89', fill: 'rgba(29,78,137,0.35)', width: 1, points: { show: false }, paths: uPlot.paths.bars!({ size: [0.6], align: 0 }) }],
        },
        [xs, values],
        ref.current,
      );
    })();
    return () => {
      live = false;
      plot?.destroy();
    };
  }, [key]);
  return <div ref={ref} aria-hidden="true" class="chart-canvas" />;
}

// Shares (0..1) over time (ISO dates), as a line with points.
export function TimeChart({ times, values, name }: { times: string[]; values: number[]; name: string }) {
  const ref = useRef<HTMLDivElement>(null);
  const key = JSON.stringify([times, values]);
  useEffect(() => {
    let plot: { destroy(): void } | undefined;
    let live = true;
    (async () => {
      if (!ref.current || times.length === 0) return;
      const uPlot = await loadUPlot();
      if (!live || !ref.current) return;
      const order = times.map((t, i) => [new Date(t).getTime() / 1000, values[i]] as const).sort((a, b) => a[0] - b[0]);
      const xs = order.map((p) => p[0]);
      plot = new uPlot(
        {
          width: width(ref.current),
          height: 220,
          scales: { x: { time: true, ...(xs.length === 1 ? { range: (): [number, number] => [xs[0] - 3600, xs[0] + 3600] } : {}) }, y: percentScale },
          legend: { show: false },
          cursor: { show: false },
          axes: [{ values: (_u: unknown, ticks: number[]) => ticks.map((s) => formatDate(new Date(s * 1000).toISOString())), space: 120 }, percentAxis],
          series: [{}, { label: name, stroke: '#1d4e89', width: 2, points: { show: true, size: 7 } }],
        },
        [xs, order.map((p) => p[1])],
        ref.current,
      );
    })();
    return () => {
      live = false;
      plot?.destroy();
    };
  }, [key]);
  return <div ref={ref} aria-hidden="true" class="chart-canvas" />;
}
