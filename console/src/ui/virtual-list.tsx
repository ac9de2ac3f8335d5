// A virtualised list of fixed-height rows: only the rows in view (plus a margin) are in the
// DOM, so a 10,000-alert queue scrolls as smoothly as a 50-alert one.
import type { ComponentChildren } from 'preact';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';

export interface VirtualListProps {
  count: number;
  rowHeight: number;
  renderRow: (index: number) => ComponentChildren;
  /** Keep this row in view (keyboard selection). */
  activeIndex?: number;
  overscan?: number;
  class?: string;
  /** ARIA role of the scrolling element (e.g. `grid`, `listbox`) and its label. */
  role?: string;
  label?: string;
  onScrollEnd?: () => void;
}

export function VirtualList(props: VirtualListProps) {
  const { count, rowHeight, renderRow, activeIndex, overscan = 8 } = props;
  const scroller = useRef<HTMLDivElement>(null);
  const [top, setTop] = useState(0);
  const [height, setHeight] = useState(600);

  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const observer = new ResizeObserver(() => setHeight(el.clientHeight));
    observer.observe(el);
    setHeight(el.clientHeight);
    return () => observer.disconnect();
  }, []);

  useEffect(() => {
    const el = scroller.current;
    if (!el || activeIndex === undefined || activeIndex < 0) return;
    const rowTop = activeIndex * rowHeight;
    if (rowTop < el.scrollTop) el.scrollTop = rowTop;
    else if (rowTop + rowHeight > el.scrollTop + el.clientHeight) el.scrollTop = rowTop + rowHeight - el.clientHeight;
  }, [activeIndex, rowHeight]);

  const first = Math.max(0, Math.floor(top / rowHeight) - overscan);
  const last = Math.min(count, Math.ceil((top + height) / rowHeight) + overscan);
  const rows: ComponentChildren[] = [];
  for (let i = first; i < last; i++) rows.push(renderRow(i));

  const onScroll = (e: Event) => {
    const el = e.currentTarget as HTMLDivElement;
    setTop(el.scrollTop);
    if (props.onScrollEnd && el.scrollTop + el.clientHeight >= el.scrollHeight - rowHeight * 4) props.onScrollEnd();
  };

  return (
    <div ref={scroller} class={`vlist ${props.class ?? ''}`} onScroll={onScroll} role={props.role as 'grid' | 'listbox' | 'list' | undefined} aria-label={props.label} aria-rowcount={props.role === 'grid' || props.role === 'table' || props.role === 'treegrid' ? count : undefined} tabIndex={-1}>
      <div class="vlist-spacer" style={{ height: `${count * rowHeight}px` }}>
        <div class="vlist-window" style={{ transform: `translateY(${first * rowHeight}px)` }}>
          {rows}
        </div>
      </div>
    </div>
  );
}
