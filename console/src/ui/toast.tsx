// Short notices at the corner ("3 alerts closed"), read out by screen readers.
import { Store, useStore } from '../store';

interface Toast {
  id: number;
  text: string;
  tone: 'ok' | 'bad' | 'info';
}

const toasts = new Store<Toast[]>([]);
let next = 1;

export function toast(text: string, tone: Toast['tone'] = 'ok', ms = 4000): void {
  const id = next++;
  toasts.set([...toasts.get(), { id, text, tone }]);
  setTimeout(() => toasts.set(toasts.get().filter((t) => t.id !== id)), ms);
}

export function Toasts() {
  const list = useStore(toasts);
  return (
    <div class="toasts" role="status" aria-live="polite">
      {list.map((t) => (
        <div key={t.id} class={`toast tone-${t.tone}`}>
          {t.text}
        </div>
      ))}
    </div>
  );
}
