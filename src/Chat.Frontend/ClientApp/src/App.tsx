import { useTicker, useStore } from './hooks';
import { dismissToast, realtime, state } from './store';
import { AuthScreen } from './components/AuthScreen';
import { Icon, Spinner } from './components/common';
import { ConversationView } from './components/ConversationView';
import { GroupSettingsDialog, NewDirectDialog, NewGroupDialog, ProfileDialog } from './components/Dialogs';
import { Sidebar } from './components/Sidebar';

function ConnectionBanner() {
  useTicker(500);
  if (state.connection === 'connected' || state.lostSince === null) return null;
  const wait = state.nextRetryAt ? Math.max(0, Math.ceil((state.nextRetryAt - Date.now()) / 1000)) : 0;
  return (
    <div class="connection-banner" role="status" aria-live="polite" data-testid="reconnect-banner">
      <span class="pulse" aria-hidden="true" />
      <span>
        <strong>Connection lost.</strong> {wait > 0 ? `Reconnecting in ${wait} s…` : 'Reconnecting…'} Messages you missed will appear when you are back.
      </span>
      <button type="button" class="link-button" onClick={() => realtime.retryNow()}>
        Retry now
      </button>
    </div>
  );
}

function Toasts() {
  if (state.toasts.length === 0) return null;
  return (
    <div class="toasts" role="region" aria-label="Notifications">
      {state.toasts.map((t) => (
        <div key={t.id} class={`toast toast-${t.kind}`} role={t.kind === 'error' ? 'alert' : 'status'}>
          <span>{t.text}</span>
          <button type="button" class="icon-button" aria-label="Dismiss notification" onClick={() => dismissToast(t.id)}>
            <Icon name="close" size={14} />
          </button>
        </div>
      ))}
    </div>
  );
}

function Welcome() {
  const name = state.me?.displayName.split(' ')[0] ?? '';
  return (
    <section class="conversation empty-state welcome" aria-label="No conversation selected">
      <div>
        <span class="brand-mark large">
          <Icon name="chat" size={32} />
        </span>
        <h2>Hi {name}</h2>
        <p class="muted">Pick a conversation on the left, or start a new one.</p>
      </div>
    </section>
  );
}

export function App() {
  useStore();
  if (state.phase === 'loading') {
    return (
      <main class="splash">
        <Spinner label="Connecting" />
      </main>
    );
  }
  if (state.phase === 'auth') {
    return (
      <>
        <AuthScreen />
        <Toasts />
      </>
    );
  }
  const active = state.activeId;
  return (
    <div class={`app${active ? ' has-active' : ''}`}>
      <ConnectionBanner />
      <div class="layout">
        <Sidebar />
        <main class="main">{active ? <ConversationView key={active} id={active} /> : <Welcome />}</main>
      </div>
      {state.dialog === 'direct' && <NewDirectDialog />}
      {state.dialog === 'group' && <NewGroupDialog />}
      {state.dialog === 'settings' && active && <GroupSettingsDialog id={active} />}
      {state.dialog === 'profile' && <ProfileDialog />}
      <Toasts />
    </div>
  );
}
