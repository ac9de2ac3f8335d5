// The login page: a local user's name and password, or the organisation's OpenID provider
// through the server (authorization code + PKCE; the server holds the tokens).
import { useState } from 'preact/hooks';
import { api } from '../api';
import { login, oidcLoginUrl, session } from '../session';
import { ErrorBox } from '../ui/common';

export function Login({ reason }: { reason?: string | undefined }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(await login(username, password));
    setBusy(false);
  };
  return (
    <main class="login" data-page="login">
      <form class="login-card" onSubmit={submit}>
        <h1>
          <span class="logo" aria-hidden="true">◉</span> Vigil
        </h1>
        {reason ? (
          <p class="notice" role="status">
            {reason}
          </p>
        ) : null}
        {error ? <ErrorBox error={error} /> : null}
        <label for="login-username">User name</label>
        <input id="login-username" name="username" autocomplete="username" required value={username} onInput={(e) => setUsername(e.currentTarget.value)} />
        <label for="login-password">Password</label>
        <input id="login-password" name="password" type="password" autocomplete="current-password" required value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
        <button type="submit" class="primary" disabled={busy}>
          Log in
        </button>
        <div class="or">or</div>
        <a class="button" href={oidcLoginUrl()}>
          Sign in with single sign-on
        </a>
      </form>
    </main>
  );
}

/** A password that must be changed (first login, after a reset) before anything else. */
export function PasswordChange() {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [again, setAgain] = useState('');
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    if (next !== again) {
      setError('the two new passwords differ');
      return;
    }
    const { data, error: failed, response } = await api.POST('/api/v1/auth/password', { body: { current_password: current, new_password: next } });
    if (!response.ok || !data) {
      setError((failed as { error?: { message?: string } } | undefined)?.error?.message ?? `failed (${response.status})`);
      return;
    }
    const { expires_in: _e, must_change_password: _m, ...me } = data;
    session.set({ kind: 'signed-in', me });
  };
  return (
    <main class="login" data-page="password">
      <form class="login-card" onSubmit={submit}>
        <h1>Choose a new password</h1>
        {error ? <ErrorBox error={error} /> : null}
        <label for="pw-current">Current password</label>
        <input id="pw-current" type="password" autocomplete="current-password" required value={current} onInput={(e) => setCurrent(e.currentTarget.value)} />
        <label for="pw-new">New password (12 characters or more)</label>
        <input id="pw-new" type="password" autocomplete="new-password" minLength={12} required value={next} onInput={(e) => setNext(e.currentTarget.value)} />
        <label for="pw-again">New password again</label>
        <input id="pw-again" type="password" autocomplete="new-password" minLength={12} required value={again} onInput={(e) => setAgain(e.currentTarget.value)} />
        <button type="submit" class="primary">
          Change password
        </button>
      </form>
    </main>
  );
}
