import { useState } from 'preact/hooks';
import { api, ApiError } from './api.js';

/** Who is signed in, and the session's CSRF token (POST and GET /session answer it). */
export interface Me {
  userId: string;
  admin: boolean;
  csrfToken: string;
}

/** The sign-in form: a wrong password and an unknown user get one message; a rate limit says when to retry. */
export function SignIn({ onSignedIn }: { onSignedIn: (me: Me) => void }) {
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget as HTMLFormElement);
    try {
      const me = await api<Me>('POST', '/session', { userId: form.get('userId'), password: form.get('password') });
      onSignedIn(me);
    } catch (err) {
      setError(err instanceof ApiError && err.code === 'RATE_LIMITED' ? err.message : 'Unknown user or wrong password');
    }
  };
  return (
    <main class="signin">
      <h1>recio</h1>
      <form onSubmit={(e) => void submit(e)} aria-label="Sign in">
        <label>
          User <input name="userId" autocomplete="username" required />
        </label>
        <label>
          Password <input name="password" type="password" autocomplete="current-password" required />
        </label>
        <button type="submit">Sign in</button>
        {error && (
          <p role="alert" class="error">
            {error}
          </p>
        )}
      </form>
    </main>
  );
}
