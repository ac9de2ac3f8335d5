// The frame every page sits in: the navigation (only what the principal may open), the user
// menu, the theme switch and the session's remaining time.
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { NAV } from './nav';
import { href, useLocation } from './router';
import { can, logout, type Me } from './session';
import { useStore } from './store';
import { theme, toggleTheme } from './theme';
import { duration } from './ui/common';

export function Layout({ me, expiresAt, children }: { me: Me; expiresAt?: number | undefined; children: ComponentChildren }) {
  const { path } = useLocation();
  const items = NAV.filter((n) => !n.permission || can(n.permission));
  const main = items.filter((n) => !n.admin);
  const admin = items.filter((n) => n.admin);
  const active = (p: string) => path === p || path.startsWith(`${p}/`);
  return (
    <div class="shell">
      <a class="skip" href="#main">
        Skip to content
      </a>
      <nav class="sidebar" aria-label="Main">
        <a class="brand" href={href('/alerts')}>
          <span class="logo" aria-hidden="true">◉</span> Vigil
        </a>
        <ul>
          {main.map((n) => (
            <li key={n.path}>
              <a href={href(n.path)} aria-current={active(n.path) ? 'page' : undefined} title={n.key ? `g then ${n.key}` : undefined}>
                {n.label}
              </a>
            </li>
          ))}
        </ul>
        {admin.length > 0 ? (
          <>
            <h2 class="nav-group">Admin</h2>
            <ul>
              {admin.map((n) => (
                <li key={n.path}>
                  <a href={href(n.path)} aria-current={active(n.path) ? 'page' : undefined}>
                    {n.label}
                  </a>
                </li>
              ))}
            </ul>
          </>
        ) : null}
        <div class="sidebar-foot">
          <ThemeButton />
          <UserMenu me={me} expiresAt={expiresAt} />
        </div>
      </nav>
      <main id="main" class="content" tabIndex={-1}>
        {children}
      </main>
    </div>
  );
}

function ThemeButton() {
  const t = useStore(theme);
  return (
    <button type="button" class="ghost" onClick={toggleTheme} aria-label={`Switch to ${t === 'dark' ? 'light' : 'dark'} theme`}>
      {t === 'dark' ? '☀ Light' : '☾ Dark'}
    </button>
  );
}

function UserMenu({ me, expiresAt }: { me: Me; expiresAt?: number | undefined }) {
  const [open, setOpen] = useState(false);
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 30_000);
    return () => clearInterval(timer);
  }, []);
  const left = expiresAt ? (expiresAt - now) / 1000 : undefined;
  return (
    <div class="user-menu">
      <button type="button" id="user-menu" class="ghost" aria-expanded={open} aria-haspopup="true" onClick={() => setOpen(!open)}>
        {me.name}
      </button>
      {open ? (
        <div class="menu" role="menu">
          <div class="menu-info">
            <div>{me.id}</div>
            <div class="muted">
              tenant {me.tenant} · {me.roles.join(', ')}
            </div>
            {left !== undefined ? <div class={left < 1800 ? 'warn' : 'muted'}>session ends in {duration(Math.max(0, left))}</div> : null}
          </div>
          <button type="button" role="menuitem" onClick={() => void logout()}>
            Log out
          </button>
        </div>
      ) : null}
    </div>
  );
}
