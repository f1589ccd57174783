// Interop tests: the official @microsoft/signalr JavaScript client against the chat hub, unchanged.
// The servers are started by Chat.Frontend.Tests (InteropTests), which passes their URLs in
// CHAT_URL_1 and CHAT_URL_2 (two frontends of one cluster).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import * as signalR from '@microsoft/signalr';

const URL_1 = process.env.CHAT_URL_1;
const URL_2 = process.env.CHAT_URL_2 ?? URL_1;
const TEST = { timeout: 90_000 };
if (!URL_1) {
  throw new Error('CHAT_URL_1 is not set: run these tests through Chat.Frontend.Tests (InteropTests) or set it to a running frontend.');
}

async function api(base, method, path, token, body) {
  const response = await fetch(new URL(path, base), {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

async function register(prefix) {
  const username = `${prefix}_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  const { status, body } = await api(URL_1, 'POST', '/api/auth/register', null, { username, password: 'correct horse battery' });
  assert.equal(status, 201, JSON.stringify(body));
  return { id: body.user.id, username, token: body.token };
}

async function pair() {
  const ann = await register('ann');
  const ben = await register('ben');
  const org = await api(URL_1, 'POST', '/api/organizations', ann.token, { name: 'Interop' });
  assert.equal(org.status, 201);
  assert.equal((await api(URL_1, 'POST', `/api/organizations/${org.body.id}/members`, ann.token, { username: ben.username })).status, 201);
  const dm = await api(URL_1, 'POST', '/api/conversations/direct', ann.token, { userId: ben.id });
  assert.equal(dm.status, 201);
  return { ann, ben, dm: dm.body.id };
}

const EVENTS = ['messageCreated', 'messageUpdated', 'messageDeleted', 'conversationCreated', 'conversationUpdated',
  'conversationRemoved', 'readUpdated', 'unreadChanged', 'typing', 'presence', 'resync', 'reconnect'];

/** Connects with the official client; the token goes in the access_token query parameter (WebSockets). */
async function connect(base, user) {
  const connection = new signalR.HubConnectionBuilder()
    .withUrl(new URL('/hubs/chat', base).toString(), { accessTokenFactory: () => user.token })
    .configureLogging(signalR.LogLevel.None)
    .build();
  const events = [];
  for (const name of EVENTS) {
    connection.on(name, (payload) => events.push({ name, ...payload }));
  }
  await connection.start();
  return { connection, events, positioned: () => events.filter((e) => e.seq > 0) };
}

async function until(condition, what, deadlineMs = 30_000) {
  const end = Date.now() + deadlineMs;
  while (Date.now() < end) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.fail(`timed out waiting for ${what}`);
}

test('the official client connects with access_token, sends and receives in order', TEST, async () => {
  const { ann, ben, dm } = await pair();
  const annHub = await connect(URL_1, ann);
  const benHub = await connect(URL_2, ben);
  try {
    await benHub.connection.invoke('Resume', 0, 0);
    for (let i = 1; i <= 30; i++) {
      const message = await annHub.connection.invoke('SendMessage', dm, { clientMessageId: `m${i}`, content: `hello ${i}`, attachmentIds: [], replyToId: null });
      assert.equal(message.seq, i);
      assert.equal(message.senderId, ann.id);
    }
    await until(() => benHub.events.filter((e) => e.name === 'messageCreated').length >= 30, 'thirty messages');
    const created = benHub.events.filter((e) => e.name === 'messageCreated');
    assert.deepEqual(created.map((e) => e.message.content), Array.from({ length: 30 }, (_, i) => `hello ${i + 1}`));
    const seqs = benHub.positioned().map((e) => e.seq);
    assert.deepEqual(seqs, Array.from({ length: seqs.length }, (_, i) => seqs[0] + i));
    assert.equal(created[0].conversationId, dm);
  } finally {
    await annHub.connection.stop();
    await benHub.connection.stop();
  }
});

test('resume after a forced disconnect, on another frontend, returns the missed events without gaps or duplicates', TEST, async () => {
  const { ann, ben, dm } = await pair();
  const annHub = await connect(URL_1, ann);
  const first = await connect(URL_1, ben);
  try {
    await first.connection.invoke('Resume', 0, 0);
    for (let i = 1; i <= 3; i++) await annHub.connection.invoke('SendMessage', dm, { clientMessageId: `a${i}`, content: `before ${i}` });
    await until(() => first.events.filter((e) => e.name === 'messageCreated').length >= 3, 'three messages');
    const last = first.positioned().at(-1);
    // Drop the socket under the client (as a network failure would) rather than saying goodbye.
    first.connection.connection.transport._webSocket?.close();
    await first.connection.stop();
    for (let i = 1; i <= 10; i++) await annHub.connection.invoke('SendMessage', dm, { clientMessageId: `b${i}`, content: `missed ${i}` });

    const second = await connect(URL_2, ben);
    try {
      const resumed = await second.connection.invoke('Resume', last.epoch, last.seq);
      for (let i = 1; i <= 3; i++) await annHub.connection.invoke('SendMessage', dm, { clientMessageId: `c${i}`, content: `after ${i}` });
      await until(() => second.events.filter((e) => e.name === 'messageCreated').length >= 3, 'three live messages');
      const all = [...resumed.events, ...second.positioned()];
      assert.deepEqual(all.map((e) => e.seq), Array.from({ length: all.length }, (_, i) => last.seq + 1 + i));
      const contents = all.filter((e) => e.type === 'messageCreated').map((e) => e.message.content);
      assert.deepEqual(contents, [...Array.from({ length: 10 }, (_, i) => `missed ${i + 1}`), 'after 1', 'after 2', 'after 3']);
    } finally {
      await second.connection.stop();
    }
  } finally {
    await annHub.connection.stop();
  }
});

test('a position of another epoch is answered with resync', TEST, async () => {
  const { ben } = await pair();
  const hub = await connect(URL_1, ben);
  try {
    const start = await hub.connection.invoke('Resume', 0, 0);
    assert.equal(start.resync, true);
    const answer = await hub.connection.invoke('Resume', start.epoch + 1, 1);
    assert.equal(answer.resync, true);
  } finally {
    await hub.connection.stop();
  }
});

test('typing reaches the other participant and presence follows connections across frontends', TEST, async () => {
  const { ann, ben, dm } = await pair();
  const benHub = await connect(URL_2, ben);
  try {
    await benHub.connection.invoke('Resume', 0, 0);
    const annHub = await connect(URL_1, ann);
    await annHub.connection.invoke('Resume', 0, 0);
    await until(() => benHub.events.some((e) => e.name === 'presence' && e.userId === ann.id && e.status === 'online'), 'ann online');
    await annHub.connection.invoke('Typing', dm);
    await until(() => benHub.events.some((e) => e.name === 'typing' && e.userId === ann.id), 'ann typing');
    const typing = benHub.events.find((e) => e.name === 'typing');
    assert.equal(typing.conversationId, dm);
    assert.equal(typing.expiresInMs, 5000);
    assert.equal(typing.seq, undefined);
    assert.equal(annHub.events.some((e) => e.name === 'typing'), false);
    const away = await annHub.connection.invoke('SetPresence', 'away');
    assert.equal(away.status, 'away');
    await until(() => benHub.events.some((e) => e.name === 'presence' && e.userId === ann.id && e.status === 'away'), 'ann away');
    await annHub.connection.stop();
    await until(() => benHub.events.some((e) => e.name === 'presence' && e.userId === ann.id && e.status === 'offline'), 'ann offline');
  } finally {
    await benHub.connection.stop();
  }
});

test('hub errors carry the error code of the spec', TEST, async () => {
  const { dm } = await pair();
  const eve = await register('eve');
  const hub = await connect(URL_1, eve);
  try {
    await assert.rejects(
      hub.connection.invoke('SendMessage', dm, { clientMessageId: 'x', content: 'let me in' }),
      (error) => {
        const body = JSON.parse(error.message.slice(error.message.indexOf('{')));
        assert.equal(body.error.code, 'NOT_PARTICIPANT');
        return true;
      });
    await assert.rejects(hub.connection.invoke('SendMessage', 'not-a-uuid', { clientMessageId: 'x', content: 'x' }), /VALIDATION_ERROR/);
    // Arguments SignalR could not bind would fail before any filter runs; the hub checks them itself.
    await assert.rejects(hub.connection.invoke('Resume', 'not-a-number', 1), /VALIDATION_ERROR/);
    await assert.rejects(hub.connection.invoke('MarkRead', dm, 'seven'), /VALIDATION_ERROR/);
  } finally {
    await hub.connection.stop();
  }
});
