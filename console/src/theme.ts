// Light and dark themes: the system's choice unless the analyst picked one (kept in localStorage).
import { Store } from './store';

export type Theme = 'light' | 'dark';
const KEY = 'vigil.theme';

function initial(): Theme {
  const saved = localStorage.getItem(KEY);
  if (saved === 'light' || saved === 'dark') return saved;
  return matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

export const theme = new Store<Theme>(initial());

export function applyTheme(t: Theme): void {
  document.documentElement.dataset.theme = t;
}

export function toggleTheme(): void {
  const next: Theme = theme.get() === 'dark' ? 'light' : 'dark';
  localStorage.setItem(KEY, next);
  theme.set(next);
  applyTheme(next);
}

applyTheme(theme.get());
