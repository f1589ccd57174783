import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, describeError } from '../api';
import { adoptConversation, leaveConversation, meId, notify, presenceOf, refreshDetails, state, toast } from '../store';
import type { ConversationDetails, OrganizationMember, Role } from '../types';
import { Avatar, Icon, Modal, Spinner } from './common';

function close() {
  state.dialog = null;
  notify();
}

/** Words for an error in a dialog; validation errors keep the server's own sentence. */
function dialogError(error: unknown): string {
  const e = ApiError.from(error);
  return e.code === 'VALIDATION_ERROR' || e.code === 'CONFLICT' || e.code === 'DUPLICATE_CONVERSATION' ? e.message : describeError(e);
}

function useDirectory(organizationId: string | undefined, query: string) {
  const [members, setMembers] = useState<OrganizationMember[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (!organizationId) return;
    let live = true;
    const timer = setTimeout(
      () => {
        api.members(organizationId, query.trim() || undefined).then(
          (d) => {
            if (live) {
              setMembers(d.members);
              setError(null);
            }
          },
          (e) => live && setError(describeError(e)),
        );
      },
      query ? 200 : 0,
    );
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [organizationId, query]);
  return { members, error };
}

function OrganizationPicker({ value, onChange }: { value: string; onChange: (id: string) => void }) {
  const orgs = state.me?.organizations ?? [];
  if (orgs.length <= 1) return null;
  return (
    <label class="field">
      <span>Organization</span>
      <select value={value} onChange={(e) => onChange(e.currentTarget.value)}>
        {orgs.map((o) => (
          <option key={o.organizationId} value={o.organizationId}>
            {o.name}
          </option>
        ))}
      </select>
    </label>
  );
}

function NoOrganization() {
  return (
    <div class="modal-body">
      <p>You are not a member of any organization yet. Ask an administrator of your organization to add you (your username is @{state.me?.username}).</p>
    </div>
  );
}

export function NewDirectDialog() {
  const orgs = state.me?.organizations ?? [];
  const [orgId, setOrgId] = useState(orgs[0]?.organizationId ?? '');
  const [query, setQuery] = useState('');
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const { members, error: loadError } = useDirectory(orgId || undefined, query);
  const people = (members ?? []).filter((m) => m.userId !== meId());

  async function open(member: OrganizationMember) {
    setBusy(member.userId);
    setError(null);
    try {
      const details = await api.openDirect(member.userId, orgId);
      state.dialog = null;
      adoptConversation(details);
    } catch (e) {
      setError(dialogError(e));
      setBusy(null);
    }
  }

  return (
    <Modal title="New direct message" onClose={close}>
      {orgs.length === 0 ? (
        <NoOrganization />
      ) : (
        <div class="modal-body">
          <OrganizationPicker value={orgId} onChange={setOrgId} />
          <label class="field">
            <span>Find a person</span>
            <input type="search" placeholder="Name or username" value={query} onInput={(e) => setQuery(e.currentTarget.value)} aria-label="Find a person" />
          </label>
          {(error || loadError) && (
            <p class="form-error" role="alert">
              {error ?? loadError}
            </p>
          )}
          <ul class="people-list" aria-label="People">
            {members === null && !loadError && (
              <li class="people-empty">
                <Spinner />
              </li>
            )}
            {members !== null && people.length === 0 && <li class="people-empty muted">Nobody matches “{query}”.</li>}
            {people.map((m) => (
              <li key={m.userId}>
                <button type="button" class="person" disabled={busy !== null} onClick={() => void open(m)} aria-label={`Message ${m.displayName}`}>
                  <Avatar id={m.userId} name={m.displayName} url={m.avatarUrl} size={34} presence={presenceOf(m.userId)} />
                  <span class="person-text">
                    <span class="person-name">{m.displayName}</span>
                    <span class="muted small">@{m.username}</span>
                  </span>
                  {busy === m.userId && <Spinner />}
                </button>
              </li>
            ))}
          </ul>
        </div>
      )}
    </Modal>
  );
}

function MemberChecklist({
  members,
  selected,
  onToggle,
  exclude,
}: {
  members: OrganizationMember[] | null;
  selected: Set<string>;
  onToggle: (id: string) => void;
  exclude: Set<string>;
}) {
  const list = (members ?? []).filter((m) => !exclude.has(m.userId));
  return (
    <ul class="people-list checklist" aria-label="Members to add">
      {members === null && (
        <li class="people-empty">
          <Spinner />
        </li>
      )}
      {members !== null && list.length === 0 && <li class="people-empty muted">Nobody to add.</li>}
      {list.map((m) => (
        <li key={m.userId}>
          <label class={`person${selected.has(m.userId) ? ' selected' : ''}`}>
            <input type="checkbox" checked={selected.has(m.userId)} onChange={() => onToggle(m.userId)} aria-label={`Add ${m.displayName}`} />
            <Avatar id={m.userId} name={m.displayName} url={m.avatarUrl} size={30} />
            <span class="person-text">
              <span class="person-name">{m.displayName}</span>
              <span class="muted small">@{m.username}</span>
            </span>
          </label>
        </li>
      ))}
    </ul>
  );
}

export function NewGroupDialog() {
  const orgs = state.me?.organizations ?? [];
  const [orgId, setOrgId] = useState(orgs[0]?.organizationId ?? '');
  const [name, setName] = useState('');
  const [query, setQuery] = useState('');
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const { members } = useDirectory(orgId || undefined, query);

  function toggle(id: string) {
    setError(null);
    const next = new Set(selected);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    setSelected(next);
  }

  async function create(e: Event) {
    e.preventDefault();
    setError(null);
    if (!name.trim()) {
      setError('Give the group a name.');
      return;
    }
    if (selected.size < 2) {
      setError('Pick at least two people: a group has three members or more, you included.');
      return;
    }
    setBusy(true);
    try {
      const details = await api.createGroup(orgId, name.trim(), [...selected]);
      state.dialog = null;
      adoptConversation(details);
    } catch (err) {
      setError(dialogError(err));
      setBusy(false);
    }
  }

  return (
    <Modal title="New group" onClose={close}>
      {orgs.length === 0 ? (
        <NoOrganization />
      ) : (
        <form onSubmit={create}>
          <div class="modal-body">
            <OrganizationPicker
              value={orgId}
              onChange={(id) => {
                setOrgId(id);
                setSelected(new Set());
              }}
            />
            <label class="field">
              <span>Group name</span>
              <input name="groupName" value={name} maxLength={255} placeholder="e.g. Project Falcon" onInput={(e) => setName(e.currentTarget.value)} aria-label="Group name" />
            </label>
            <div class="field">
              <span>
                Members <span class="muted">({selected.size} selected)</span>
              </span>
              <input type="search" placeholder="Filter people" value={query} onInput={(e) => setQuery(e.currentTarget.value)} aria-label="Filter people" />
            </div>
            <MemberChecklist members={members} selected={selected} onToggle={toggle} exclude={new Set([meId()])} />
            {error && (
              <p class="form-error" role="alert">
                {error}
              </p>
            )}
          </div>
          <footer class="modal-footer">
            <button type="button" class="button" onClick={close}>
              Cancel
            </button>
            <button type="submit" class="button primary" disabled={busy}>
              {busy ? 'Creating…' : 'Create group'}
            </button>
          </footer>
        </form>
      )}
    </Modal>
  );
}

const ROLE_LABEL: Record<Role, string> = { owner: 'Owner', admin: 'Admin', member: 'Member' };

export function GroupSettingsDialog({ id }: { id: string }) {
  const conv = state.conversations.get(id);
  const details: ConversationDetails | undefined = conv?.details;
  const [name, setName] = useState(details?.name ?? '');
  const [error, setError] = useState<string | null>(null);
  const [adding, setAdding] = useState(false);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [confirmLeave, setConfirmLeave] = useState(false);
  const [busy, setBusy] = useState(false);
  const { members } = useDirectory(adding ? details?.organizationId : undefined, '');

  useEffect(() => {
    void refreshDetails(id);
  }, [id]);
  useEffect(() => {
    if (details?.name) setName(details.name);
  }, [details?.name]);

  if (!details) {
    return (
      <Modal title="Group settings" onClose={close}>
        <div class="modal-body">
          <Spinner />
        </div>
      </Modal>
    );
  }
  const myRole = details.me.role;
  const manage = myRole === 'owner' || myRole === 'admin';

  async function run(action: () => Promise<unknown>, done?: string) {
    setError(null);
    setBusy(true);
    try {
      await action();
      await refreshDetails(id);
      if (done) toast(done, 'info', 3000);
    } catch (e) {
      setError(dialogError(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Modal title="Group settings" onClose={close} wide>
      <div class="modal-body">
        <form
          class="inline-form"
          onSubmit={(e) => {
            e.preventDefault();
            if (name.trim() && name.trim() !== details.name) void run(() => api.updateConversation(id, name.trim()), 'Group renamed.');
          }}
        >
          <label class="field grow">
            <span>Group name</span>
            <input value={name} maxLength={255} disabled={!manage} onInput={(e) => setName(e.currentTarget.value)} aria-label="Group name" />
          </label>
          {manage && (
            <button type="submit" class="button" disabled={busy || !name.trim() || name.trim() === details.name}>
              Rename
            </button>
          )}
        </form>
        {error && (
          <p class="form-error" role="alert">
            {error}
          </p>
        )}
        <div class="section-title">
          <h3>
            {details.participants.length} member{details.participants.length === 1 ? '' : 's'}
          </h3>
          {manage && !adding && (
            <button type="button" class="button small" onClick={() => setAdding(true)}>
              <Icon name="plus" size={16} /> Add people
            </button>
          )}
        </div>
        {adding && (
          <div class="add-members">
            <MemberChecklist
              members={members}
              selected={selected}
              exclude={new Set(details.participants.map((p) => p.userId))}
              onToggle={(uid) => {
                const next = new Set(selected);
                if (next.has(uid)) next.delete(uid);
                else next.add(uid);
                setSelected(next);
              }}
            />
            <div class="row-end">
              <button
                type="button"
                class="button"
                onClick={() => {
                  setAdding(false);
                  setSelected(new Set());
                }}
              >
                Cancel
              </button>
              <button
                type="button"
                class="button primary"
                disabled={selected.size === 0 || busy}
                onClick={() =>
                  void run(async () => {
                    await api.addParticipants(id, [...selected]);
                    setAdding(false);
                    setSelected(new Set());
                  }, 'Members added.')
                }
              >
                Add {selected.size || ''}
              </button>
            </div>
          </div>
        )}
        <ul class="member-list" aria-label="Members">
          {details.participants.map((p) => {
            const self = p.userId === meId();
            return (
              <li key={p.userId} class="member">
                <Avatar id={p.userId} name={p.displayName} url={p.avatarUrl} size={32} presence={presenceOf(p.userId)} />
                <span class="person-text">
                  <span class="person-name">
                    {p.displayName}
                    {self && <span class="muted"> (you)</span>}
                  </span>
                </span>
                {myRole === 'owner' && !self && p.role !== 'owner' ? (
                  <select
                    value={p.role}
                    aria-label={`Role of ${p.displayName}`}
                    disabled={busy}
                    onChange={(e) => void run(() => api.setRole(id, p.userId, e.currentTarget.value as Role), `${p.displayName} is now ${e.currentTarget.value}.`)}
                  >
                    <option value="member">Member</option>
                    <option value="admin">Admin</option>
                  </select>
                ) : (
                  <span class={`role role-${p.role}`}>{ROLE_LABEL[p.role]}</span>
                )}
                {manage && !self && p.role !== 'owner' && !(myRole === 'admin' && p.role === 'admin') && (
                  <button
                    type="button"
                    class="icon-button danger"
                    aria-label={`Remove ${p.displayName}`}
                    title="Remove from group"
                    disabled={busy}
                    onClick={() => void run(() => api.removeParticipant(id, p.userId), `${p.displayName} was removed.`)}
                  >
                    <Icon name="close" size={16} />
                  </button>
                )}
              </li>
            );
          })}
        </ul>
      </div>
      <footer class="modal-footer spread">
        {confirmLeave ? (
          <span class="confirm-leave">
            <span>Leave “{details.name}”?</span>
            <button type="button" class="button" onClick={() => setConfirmLeave(false)}>
              Stay
            </button>
            <button
              type="button"
              class="button danger"
              onClick={() => {
                state.dialog = null;
                void leaveConversation(id);
              }}
            >
              Leave
            </button>
          </span>
        ) : (
          <button type="button" class="button danger-outline" onClick={() => setConfirmLeave(true)}>
            Leave group
          </button>
        )}
        <button type="button" class="button" onClick={close}>
          Done
        </button>
      </footer>
    </Modal>
  );
}

export function ProfileDialog() {
  const me = state.me!;
  const [displayName, setDisplayName] = useState(me.displayName);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  async function save(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      state.me = await api.updateMe(displayName.trim());
      toast('Profile saved.', 'info', 2500);
      close();
    } catch (err) {
      setError(dialogError(err));
      setBusy(false);
    }
  }
  return (
    <Modal title="Your profile" onClose={close}>
      <form onSubmit={save}>
        <div class="modal-body">
          <div class="profile-head">
            <Avatar id={me.id} name={displayName || me.displayName} url={me.avatarUrl} size={56} />
            <div>
              <div class="person-name">{me.displayName}</div>
              <div class="muted">@{me.username}</div>
              <div class="muted small">{me.organizations.map((o) => `${o.name} (${o.role})`).join(', ')}</div>
            </div>
          </div>
          <label class="field">
            <span>Display name</span>
            <input value={displayName} maxLength={100} onInput={(e) => setDisplayName(e.currentTarget.value)} aria-label="Display name" />
          </label>
          {error && (
            <p class="form-error" role="alert">
              {error}
            </p>
          )}
        </div>
        <footer class="modal-footer">
          <button type="button" class="button" onClick={close}>
            Cancel
          </button>
          <button type="submit" class="button primary" disabled={busy || !displayName.trim()}>
            Save
          </button>
        </footer>
      </form>
    </Modal>
  );
}
