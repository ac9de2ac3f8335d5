import type { RouteProps } from '../routes';
import { current } from '../router';

/** A page not built yet. */
export function Placeholder(_props: RouteProps) {
  const name = current().path.split('/')[1] ?? 'page';
  return (
    <section data-page={name} class="page">
      <h1>{name}</h1>
      <p class="muted">This page is not built yet.</p>
    </section>
  );
}
