// Who is logged in and what they may do. The server enforces every permission; the console only
// hides what would be refused.
import { api, apiUrl, type Schemas } from './api';
import { Store, useStore } from './store';

export type Me = Schemas['Me'];

export type SessionState =
  | { kind: 'loading' }
  | { kind: 'anonymous'; reason?: string }
  | { kind: 'password-change'; username: string }
  | { kind: 'signed-in'; me: Me; expiresAt?: number };

export const session = new Store<SessionState>({ kind: 'loading' });

export function useSession(): SessionState {
  return useStore(session);
}

/** Whether the signed-in principal holds `permission` (e.g. `alert:triage`). */
export function can(permission: string): boolean {
  const s = session.get();
  return s.kind === 'signed-in' && (s.me.permissions as string[]).includes(permission);
}

const EXPIRES_KEY = 'vigil.session.expires';

/** Asks the server who we are (the cookie is HttpOnly: only the server knows). */
export async function loadSession(reason?: string): Promise<void> {
  const { data, response } = await api.GET('/api/v1/me');
  if (response.ok && data) {
    const stored = Number(sessionStorage.getItem(EXPIRES_KEY) ?? '');
    session.set({ kind: 'signed-in', me: data, ...(stored > 0 ? { expiresAt: stored } : {}) });
  } else if (response.status === 403) {
    const body = (await response
      .clone()
      .json()
      .catch(() => null)) as { error?: { code?: string } } | null;
    if (body?.error?.code === 'password_change_required') {
      session.set({ kind: 'password-change', username: '' });
      return;
    }
    session.set({ kind: 'anonymous', ...(reason ? { reason } : {}) });
  } else {
    session.set({ kind: 'anonymous', ...(reason ? { reason } : {}) });
  }
}

/** Logs in a local user; resolves to an error message or null. */
export async function login(username: string, password: string): Promise<string | null> {
  const { data, error, response } = await api.POST('/api/v1/auth/login', { body: { username, password } });
  if (!response.ok || !data) {
    const detail = (error as { error?: { message?: string } } | undefined)?.error;
    return detail?.message ?? `login failed (${response.status})`;
  }
  const expiresAt = Date.now() + data.expires_in * 1000;
  sessionStorage.setItem(EXPIRES_KEY, String(expiresAt));
  if (data.must_change_password) {
    session.set({ kind: 'password-change', username });
  } else {
    const { expires_in: _e, must_change_password: _m, ...me } = data;
    session.set({ kind: 'signed-in', me, expiresAt });
  }
  return null;
}

export async function logout(): Promise<void> {
  await api.POST('/api/v1/auth/logout').catch(() => undefined);
  sessionStorage.removeItem(EXPIRES_KEY);
  session.set({ kind: 'anonymous', reason: 'You are logged out.' });
}

/** The server's OpenID login, coming back to the page the analyst was on. */
export function oidcLoginUrl(): string {
  const path = new URL(document.baseURI).pathname;
  return apiUrl('/api/v1/auth/oidc/login', { return_to: path + location.hash });
}
