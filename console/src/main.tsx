// The console's entry: who is signed in decides between the login page and the pages.
import { render } from 'preact';
import { useEffect } from 'preact/hooks';
import { onAuthLost } from './api';
import { Layout } from './layout';
import { NAV } from './nav';
import { Login, PasswordChange } from './pages/login';
import { current, match, navigate, useLocation } from './router';
import { ROUTES } from './routes';
import { can, loadSession, session, useSession } from './session';
import './theme';
import { Empty } from './ui/common';
import { Toasts } from './ui/toast';
import './styles/theme.css';
import './styles/app.css';

function Pages() {
  const loc = useLocation();
  useEffect(() => {
    // Effects run after paint: read the address now, not the one rendered, so a page asked for in
    // between (a click, a link opened right after login) is not replaced by the first page.
    const now = current().path;
    if (now === '/' || now === '') {
      const first = NAV.find((n) => !n.permission || can(n.permission));
      navigate(first?.path ?? '/alerts', undefined, true);
    }
  }, [loc.path]);
  for (const route of ROUTES) {
    const params = match(route.pattern, loc.path);
    if (params) {
      document.title = `${route.title} · Vigil`;
      const Page = route.page;
      return <Page key={route.pattern} params={params} query={loc.query} />;
    }
  }
  return (
    <section class="page" data-page="not-found">
      <Empty>No page at {loc.path}.</Empty>
    </section>
  );
}

function App() {
  const s = useSession();
  useEffect(() => {
    void loadSession();
    return onAuthLost(() => {
      if (session.get().kind === 'signed-in') session.set({ kind: 'anonymous', reason: 'Your session has ended: log in again.' });
    });
  }, []);
  useShortcuts();
  switch (s.kind) {
    case 'loading':
      return <div class="boot" role="status">Vigil…</div>;
    case 'anonymous':
      return <Login reason={s.reason} />;
    case 'password-change':
      return <PasswordChange />;
    case 'signed-in':
      return (
        <>
          <Layout me={s.me} expiresAt={s.expiresAt}>
            <Pages />
          </Layout>
          <Toasts />
        </>
      );
  }
}

/** `g` then a page's key opens it (g a: alerts, g i: incidents, …); `?` lists the keys. */
function useShortcuts() {
  useEffect(() => {
    let pendingG = 0;
    const onKey = (e: KeyboardEvent) => {
      const target = e.target as HTMLElement | null;
      if (target && (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName))) return;
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      if (e.key === 'g') {
        pendingG = Date.now();
        return;
      }
      if (Date.now() - pendingG < 1500) {
        const item = NAV.find((n) => n.key === e.key && (!n.permission || can(n.permission)));
        pendingG = 0;
        if (item) {
          e.preventDefault();
          navigate(item.path);
        }
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
}

const root = document.getElementById('app');
if (root) {
  root.textContent = '';
  render(<App />, root);
}
