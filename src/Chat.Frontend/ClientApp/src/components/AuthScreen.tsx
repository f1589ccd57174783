import { useState } from 'preact/hooks';
import { ApiError, describeError } from '../api';
import { signIn } from '../store';
import { Icon } from './common';

export function AuthScreen() {
  const [mode, setMode] = useState<'login' | 'register'>('login');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const register = mode === 'register';

  async function submit(e: Event) {
    e.preventDefault();
    setError(null);
    if (register && !/^[a-zA-Z0-9_]{3,50}$/.test(username.trim())) {
      setError('A username has 3 to 50 letters, digits or underscores.');
      return;
    }
    if (register && password.length < 8) {
      setError('Choose a password of at least 8 characters.');
      return;
    }
    setBusy(true);
    try {
      await signIn(username.trim(), password, register, displayName.trim() || undefined);
    } catch (err) {
      const apiError = ApiError.from(err);
      setError(apiError.code === 'VALIDATION_ERROR' || apiError.code === 'CONFLICT' ? apiError.message : describeError(apiError));
      setBusy(false);
    }
  }

  return (
    <main class="auth">
      <div class="auth-card">
        <div class="auth-brand">
          <span class="brand-mark">
            <Icon name="chat" size={22} />
          </span>
          <span>Chat</span>
        </div>
        <h1>{register ? 'Create your account' : 'Welcome back'}</h1>
        <p class="muted">{register ? 'It takes a few seconds.' : 'Sign in to continue to your conversations.'}</p>
        <form onSubmit={submit} aria-label={register ? 'Create account' : 'Sign in'}>
          <label class="field">
            <span>Username</span>
            <input
              name="username"
              autoComplete="username"
              autoCapitalize="none"
              spellcheck={false}
              value={username}
              onInput={(e) => setUsername(e.currentTarget.value)}
              required
            />
          </label>
          {register && (
            <label class="field">
              <span>
                Display name <span class="muted">(optional)</span>
              </span>
              <input name="displayName" autoComplete="name" value={displayName} maxLength={100} onInput={(e) => setDisplayName(e.currentTarget.value)} />
            </label>
          )}
          <label class="field">
            <span>Password</span>
            <input
              name="password"
              type="password"
              autoComplete={register ? 'new-password' : 'current-password'}
              value={password}
              onInput={(e) => setPassword(e.currentTarget.value)}
              required
            />
          </label>
          {error && (
            <p class="form-error" role="alert">
              {error}
            </p>
          )}
          <button class="button primary wide" type="submit" disabled={busy}>
            {busy ? 'Please wait…' : register ? 'Create account' : 'Sign in'}
          </button>
        </form>
        <p class="auth-switch">
          {register ? 'Already have an account?' : 'New here?'}{' '}
          <button
            type="button"
            class="link-button"
            onClick={() => {
              setMode(register ? 'login' : 'register');
              setError(null);
            }}
          >
            {register ? 'Sign in' : 'Create an account'}
          </button>
        </p>
      </div>
    </main>
  );
}
