import type { PriceTick } from '@recio/platform/browser';
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';

/** The BTC price of the last ticks, with momentum on its own axis (uPlot). */
export function PriceChart({ ticks }: { ticks: PriceTick[] }) {
  const el = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot>();
  useEffect(() => {
    if (!el.current) return;
    plot.current = new uPlot(
      {
        width: Math.min(640, el.current.clientWidth || 640),
        height: 200,
        series: [
          {},
          { label: 'BTC', stroke: '#1f6feb', scale: 'usd' },
          { label: 'momentum', stroke: '#b35900', scale: 'pct' },
        ],
        // Room for a six-digit price: uPlot's default 50 px cut "99,760" to "9,760".
        axes: [{}, { scale: 'usd', size: 70 }, { scale: 'pct', side: 1, grid: { show: false } }],
      },
      [[], [], []],
      el.current,
    );
    return () => plot.current?.destroy();
  }, []);
  useEffect(() => {
    plot.current?.setData([ticks.map((t) => t.at / 1000), ticks.map((t) => t.price), ticks.map((t) => t.momentum)]);
  }, [ticks]);
  return (
    <div
      ref={el}
      class="chart"
      role="img"
      aria-label="BTC price and momentum chart"
      data-testid="chart"
      data-points={ticks.length}
    />
  );
}
