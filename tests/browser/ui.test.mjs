// Browser tests of the web UI (issue 7): headless Debian Chromium, driven by playwright-core, against a
// real system (PostgreSQL, a silo with the demo data, two frontends) started by lib/system.mjs.
// Screenshots go to artifacts/screenshots/. Every wait is a condition with a deadline.
//
//   ./chat test runs these after the .NET tests; alone: (cd tests/browser && npm ci && npm test),
//   after `dotnet build -c Release src/Chat.Silo src/Chat.Frontend` and the UI build.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import fs from 'node:fs';
import zlib from 'node:zlib';
import { ChatSystem } from './lib/system.mjs';
import { apiCall, apiLogin, launchBrowser, SCREENSHOTS, UserWindow } from './lib/ui.mjs';
import { eventually } from './lib/wait.mjs';

const DM_ALICE_BOB = 'c1000001-0001-0001-0001-000000000001';
const DM_CHARLIE_DIANA = 'c1000001-0001-0001-0001-000000000003';
const DM_EDWARD_BOB = 'c1000001-0001-0001-0001-000000000005';

let system;
let browser;
const windows = [];

async function open(frontend = 0, options) {
  const w = await UserWindow.open(browser, system.frontendUrl(frontend), options);
  windows.push(w);
  return w;
}

/** The unread badge of an inbox entry (0 when there is none), read without waiting. */
async function badge(w, name) {
  const texts = await w.inboxItem(name).locator('[data-testid="unread-badge"]').allTextContents();
  return texts.length === 0 ? 0 : Number(texts[0]);
}

async function sendViaApi(frontend, token, conversationId, content) {
  return apiCall(system.frontendUrl(frontend), token, 'POST', `/api/conversations/${conversationId}/messages`, {
    clientMessageId: `api-${Date.now()}-${Math.random().toString(36).slice(2)}`,
    content,
  });
}

/** A small PNG (a blue square with a lighter band), made here so no file needs shipping. */
function makePng(width = 96, height = 64) {
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (width * 3 + 1)] = 0;
    for (let x = 0; x < width; x++) {
      const o = y * (width * 3 + 1) + 1 + x * 3;
      const band = y > height / 3 && y < (2 * height) / 3;
      raw[o] = band ? 120 : 59;
      raw[o + 1] = band ? 150 : 91;
      raw[o + 2] = 219;
    }
  }
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf) => {
    let c = 0xffffffff;
    for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type, data) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const sum = Buffer.alloc(4);
    sum.writeUInt32BE(crc(body));
    return Buffer.concat([length, body, sum]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8;
  header[9] = 2;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', zlib.deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A test that, when it fails, saves a screenshot of every open window and adds what the pages logged. */
function scenario(name, fn) {
  test(name, async () => {
    try {
      await fn();
    } catch (error) {
      const slug = name.split(':')[0].replace(/[^a-z0-9]+/gi, '-').toLowerCase();
      const logs = [];
      for (const [i, w] of windows.entries()) {
        await w.page.screenshot({ path: `${SCREENSHOTS}/failed-${slug}-${i + 1}.png` }).catch(() => {});
        logs.push(...w.console.map((line) => `window ${i + 1} console: ${line}`), ...w.errors.map((line) => `window ${i + 1}: ${line}`));
      }
      if (logs.length > 0) error.message += `\n${logs.join('\n')}`;
      throw error;
    }
  });
}

describe('web UI in Chromium', { timeout: 30 * 60_000 }, () => {
  before(async () => {
    fs.rmSync(SCREENSHOTS, { recursive: true, force: true });
    system = await ChatSystem.start({ frontends: 2 });
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close().catch(() => {});
    await system?.stop();
  });

  afterEach(async () => {
    const failures = windows.flatMap((w) => w.errors);
    for (const w of windows.splice(0)) await w.close();
    assert.deepEqual(failures, [], 'the pages raised no script errors or unexpected dialogs');
  });

  scenario('sign-in shows the inbox: starred DM first, muted group with a muted unread badge, previews, times, presence', async () => {
    const alice = await open(0);
    await alice.login('alice');
    const page = alice.page;
    await eventually(async () => (await page.locator('.inbox-item .inbox-name').first().textContent()) === 'Bob Smith', { what: 'the DM with Bob first' });
    const dm = alice.inboxItem('Bob Smith');
    await dm.locator('.star').waitFor();
    assert.equal(await badge(alice, 'Bob Smith'), 0);
    const warehouse = alice.inboxItem('Warehouse Team');
    await warehouse.locator('.badge.badge-muted').waitFor();
    assert.equal(await badge(alice, 'Warehouse Team'), 1);
    assert.match(await warehouse.getAttribute('aria-label'), /1 unread \(muted\)/);
    assert.ok((await warehouse.locator('.inbox-preview').textContent()).length > 0, 'a last-message preview');
    assert.ok((await dm.locator('time').textContent()).length > 0, 'a relative time');
    await dm.locator('.presence').waitFor();
    // Bob signs in elsewhere: his presence dot turns green in Alice's inbox.
    const bob = await open(1);
    await bob.login('bob');
    await dm.locator('.presence-online').waitFor();
    await alice.screenshot('inbox');
  });

  scenario('two users exchange messages across two frontends: unread badges, typing, receipts', async () => {
    const alice = await open(0);
    const bob = await open(1);
    await alice.login('alice');
    await bob.login('bob');
    const before = await badge(bob, 'Alice Johnson');
    await alice.open('Bob Smith');

    await alice.send('Hi Bob, lunch at noon?');
    await eventually(async () => (await badge(bob, 'Alice Johnson')) === before + 1, { what: "Bob's unread badge to go up" });
    await bob.inboxItem('Alice Johnson').locator('.inbox-preview', { hasText: 'lunch at noon?' }).waitFor();
    assert.match(await bob.page.title(), /^\(\d+\) Chat$/);

    await bob.open('Alice Johnson');
    await bob.message('Hi Bob, lunch at noon?').waitFor();
    await eventually(async () => (await badge(bob, 'Alice Johnson')) === 0, { what: "Bob's badge to clear once he reads" });
    await alice.page.locator('[data-testid="receipt"]', { hasText: 'Seen' }).waitFor();

    await alice.composer().pressSequentially('Also, bring the', { delay: 20 });
    await bob.page.locator('[data-testid="typing"]', { hasText: 'Alice is typing' }).waitFor();
    await alice.composer().fill('');

    await bob.send('Sure, see you there!');
    await alice.message('Sure, see you there!').waitFor();
    // The order is the order of sending, for both.
    for (const w of [alice, bob]) {
      const texts = await w.page.locator('.message[data-message-id] .message-content').allTextContents();
      assert.ok(texts.indexOf('Hi Bob, lunch at noon?') < texts.indexOf('Sure, see you there!'));
    }
  });

  scenario('group conversation: reactions with who reacted, replies, edits with Up, deletes', async () => {
    const alice = await open(0);
    const bob = await open(1);
    await alice.login('alice');
    await bob.login('bob');
    await alice.open('Warehouse Team');
    await bob.open('Warehouse Team');

    await alice.send('Inventory count is done: 1,204 units.');
    const onBob = bob.message('Inventory count is done');
    await onBob.waitFor();
    // Group receipts: Bob has the group open, so he read it; the three others are away.
    const receipt = alice.page.locator('[data-testid="receipt"]', { hasText: 'Read by 1 of 4' });
    await receipt.waitFor();
    assert.equal(await receipt.getAttribute('title'), 'Read by Bob Smith');
    await onBob.hover();
    await onBob.getByRole('button', { name: 'Add reaction' }).click();
    await bob.page.getByRole('menuitem', { name: 'React with 👍' }).click();
    const chip = alice.message('Inventory count is done').locator('.reaction', { hasText: '👍' });
    await chip.locator('.reaction-count', { hasText: '1' }).waitFor();
    assert.match(await chip.getAttribute('title'), /Bob Smith reacted with 👍/);
    await chip.click();
    await chip.locator('.reaction-count', { hasText: '2' }).waitFor();
    await bob.message('Inventory count is done').locator('.reaction', { hasText: '👍' }).locator('.reaction-count', { hasText: '2' }).waitFor();
    assert.match(await chip.getAttribute('title'), /Alice Johnson|You/);
    // Alice takes hers back, and adds another.
    await chip.click();
    await chip.locator('.reaction-count', { hasText: '1' }).waitFor();
    await alice.message('Inventory count is done').hover();
    await alice.message('Inventory count is done').getByRole('button', { name: 'Add reaction' }).click();
    await alice.page.getByRole('menuitem', { name: 'React with 🎉' }).click();
    await bob.message('Inventory count is done').locator('.reaction', { hasText: '🎉' }).waitFor();

    // Bob replies, quoting Alice's message.
    await onBob.hover();
    await onBob.getByRole('button', { name: 'Reply' }).click();
    await bob.page.locator('.composer-context', { hasText: 'Replying to Alice Johnson' }).waitFor();
    await bob.send('Great, thanks! Shipping tomorrow.');
    const reply = alice.message('Shipping tomorrow');
    await reply.locator('.reply-quote', { hasText: 'Inventory count is done' }).waitFor();

    // Up edits Alice's last message; Bob sees the new text marked as edited.
    await alice.composer().click();
    await alice.composer().press('ArrowUp');
    const edit = alice.page.getByRole('textbox', { name: 'Edit message' });
    await edit.waitFor();
    assert.equal(await edit.inputValue(), 'Inventory count is done: 1,204 units.');
    await edit.fill('Inventory count is done: 1,206 units.');
    await edit.press('Enter');
    await bob.message('1,206 units').locator('.edited').waitFor();

    // A reply to a message that is then deleted shows the quote as deleted.
    await alice.send('Temporary note: gate code 4411');
    const temp = bob.message('Temporary note');
    await temp.waitFor();
    await temp.hover();
    await temp.getByRole('button', { name: 'Reply' }).click();
    await bob.send('Noted, thanks');
    await alice.message('Noted, thanks').waitFor();
    const tempOnAlice = alice.message('Temporary note');
    await tempOnAlice.hover();
    await tempOnAlice.getByRole('button', { name: 'Delete message' }).click();
    await alice.page.getByRole('dialog', { name: 'Delete message?' }).getByRole('button', { name: 'Delete' }).click();
    await bob.page.locator('.message.deleted .deleted-text', { hasText: 'This message was deleted' }).waitFor();
    await bob.message('Noted, thanks').locator('.reply-quote.reply-deleted', { hasText: 'deleted' }).waitFor();
    await alice.message('Noted, thanks').locator('.reply-quote.reply-deleted').waitFor();
    assert.equal(await bob.page.getByText('gate code 4411').count(), 0, 'the deleted text is gone');

    await alice.page.locator('.message-scroller').evaluate((el) => (el.scrollTop = el.scrollHeight));
    await alice.message('Shipping tomorrow').hover();
    await alice.screenshot('group-conversation');
  });

  scenario('message content is text: script and onerror markup render as text and never run', async () => {
    const alice = await open(0);
    const bob = await open(1);
    await alice.login('alice');
    await bob.login('bob');
    await alice.open('Bob Smith');
    await bob.open('Alice Johnson');
    const script = '<script>window.__pwned = 1</script>';
    const img = '<img src=x onerror="window.__pwned = 2">';
    const bold = '<b>not bold</b> & <a href="javascript:alert(3)">link</a>';
    for (const text of [script, img, bold]) await alice.send(text);
    for (const w of [alice, bob]) {
      for (const text of [script, img, bold]) {
        const content = w.message(text).locator('.message-content');
        await content.waitFor();
        assert.equal(await content.textContent(), text);
      }
      assert.equal(await w.page.locator('.message-content img, .message-content script, .message-content b').count(), 0);
      assert.equal(await w.page.locator('.message-content a[href^="javascript"]').count(), 0);
      assert.equal(await w.page.evaluate(() => window.__pwned), undefined);
    }
    await bob.page.locator('.inbox-preview', { hasText: 'not bold' }).waitFor();
    await bob.screenshot('script-injection-as-text');
  });

  scenario('keyboard: Shift+Enter makes a new line, Escape cancels a reply and an edit', async () => {
    const alice = await open(0);
    await alice.login('alice');
    await alice.open('Bob Smith');
    const box = alice.composer();
    await box.click();
    await box.pressSequentially('first line');
    await box.press('Shift+Enter');
    await box.pressSequentially('second line');
    assert.equal(await box.inputValue(), 'first line\nsecond line');
    await box.press('Enter');
    const sent = alice.message('second line');
    await sent.waitFor();
    assert.equal(await sent.locator('.message-content').textContent(), 'first line\nsecond line');
    assert.equal(await box.inputValue(), '');

    await sent.hover();
    await sent.getByRole('button', { name: 'Reply' }).click();
    await alice.page.locator('.composer-context').waitFor();
    await box.press('Escape');
    await eventually(async () => (await alice.page.locator('.composer-context').count()) === 0, { what: 'Escape to cancel the reply' });

    await box.press('ArrowUp');
    const edit = alice.page.getByRole('textbox', { name: 'Edit message' });
    await edit.waitFor();
    await edit.press('Escape');
    await box.waitFor();
    assert.equal(await box.inputValue(), '');
  });

  scenario('new group dialog: validation, creation, live arrival for members; group settings: rename, roles, remove, leave', async () => {
    const alice = await open(0);
    const bob = await open(1);
    await alice.login('alice');
    await bob.login('bob');
    const page = alice.page;
    await page.getByRole('button', { name: 'New group' }).click();
    const dialog = page.getByRole('dialog', { name: 'New group' });
    await dialog.waitFor();
    await dialog.getByRole('textbox', { name: 'Group name' }).fill('Launch Crew');
    await dialog.getByRole('checkbox', { name: 'Add Bob Smith' }).check();
    await dialog.getByRole('button', { name: 'Create group' }).click();
    await dialog.getByRole('alert').filter({ hasText: 'at least two people' }).waitFor();
    await dialog.getByRole('checkbox', { name: 'Add Charlie Brown' }).check();
    await dialog.locator('.field', { hasText: 'Members' }).getByText('2 selected').waitFor();
    await alice.screenshot('new-group-dialog');
    await dialog.getByRole('button', { name: 'Create group' }).click();
    await page.locator('.conversation-title h1', { hasText: 'Launch Crew' }).waitFor();
    await page.locator('.system-message').first().waitFor();
    // Bob sees the new group arrive without reloading.
    await bob.inboxItem('Launch Crew').waitFor();

    await alice.send('Welcome aboard, crew!');
    await bob.open('Launch Crew');
    await bob.message('Welcome aboard').waitFor();

    // Settings: rename (Bob's inbox follows), promote Charlie, remove him, and Bob leaves.
    await page.getByRole('button', { name: 'Group settings' }).click();
    const settings = page.getByRole('dialog', { name: 'Group settings' });
    await settings.getByRole('textbox', { name: 'Group name' }).fill('Launch Crew Alpha');
    await settings.getByRole('button', { name: 'Rename' }).click();
    await bob.page.locator('.conversation-title h1', { hasText: 'Launch Crew Alpha' }).waitFor();
    await settings.getByRole('combobox', { name: 'Role of Charlie Brown' }).selectOption('admin');
    await eventually(async () => (await settings.getByRole('combobox', { name: 'Role of Charlie Brown' }).inputValue()) === 'admin', { what: 'Charlie to be admin' });
    await alice.screenshot('group-settings');
    const charlie = await open(0);
    await charlie.login('charlie');
    await charlie.open('Launch Crew Alpha');
    await settings.getByRole('button', { name: 'Remove Charlie Brown' }).click();
    await charlie.page.getByRole('status').filter({ hasText: 'You were removed from “Launch Crew Alpha”' }).waitFor();
    await eventually(async () => (await charlie.inboxItem('Launch Crew Alpha').count()) === 0, { what: 'the group to leave Charlie’s inbox' });
    await eventually(async () => (await settings.locator('.member', { hasText: 'Charlie Brown' }).count()) === 0, { what: 'Charlie to be removed' });
    await settings.getByRole('button', { name: 'Done' }).click();
    await bob.page.locator('.system-message', { hasText: 'Charlie' }).last().waitFor();

    await bob.page.getByRole('button', { name: 'Group settings' }).click();
    const bobSettings = bob.page.getByRole('dialog', { name: 'Group settings' });
    await bobSettings.getByRole('button', { name: 'Leave group' }).click();
    await bobSettings.getByRole('button', { name: 'Leave', exact: true }).click();
    await eventually(async () => (await bob.inboxItem('Launch Crew Alpha').count()) === 0, { what: 'the group to leave Bob’s inbox' });
    await alice.page.locator('.system-message', { hasText: 'Bob' }).last().waitFor();
  });

  scenario('new direct message dialog: pick a member of the organization, the DM opens and reaches them', async () => {
    const diana = await open(0);
    const edward = await open(1);
    await diana.login('diana');
    await edward.login('edward');
    await diana.page.getByRole('button', { name: 'New direct message' }).click();
    const dialog = diana.page.getByRole('dialog', { name: 'New direct message' });
    await dialog.getByRole('searchbox', { name: 'Find a person' }).fill('edw');
    await dialog.getByRole('button', { name: 'Message Edward Norton' }).click();
    await diana.page.locator('.conversation-title h1', { hasText: 'Edward Norton' }).waitFor();
    await diana.send('Hi Edward, do you have a minute?');
    await edward.inboxItem('Diana Prince').locator('.inbox-preview', { hasText: 'do you have a minute?' }).waitFor();
    // Opening it again finds the same conversation.
    await diana.page.getByRole('button', { name: 'New direct message' }).click();
    await dialog.getByRole('button', { name: 'Message Edward Norton' }).click();
    await diana.message('do you have a minute?').waitFor();
    assert.equal(await diana.inboxItem('Edward Norton').count(), 1);
  });

  scenario('reconnect: a frontend restarts (graceful, then killed) and the user sees every missed message, in order, without a reload', async () => {
    const alice = await open(0);
    const bob = await open(1);
    await alice.login('alice');
    await bob.login('bob');
    await alice.open('Bob Smith');
    await bob.open('Alice Johnson');
    await eventually(async () => (await badge(bob, 'Alice Johnson')) === 0, { what: 'Bob to have read the DM' });
    await bob.page.evaluate(() => (window.__sameDocument = true));

    for (const [round, signal] of [
      [1, 'SIGTERM'],
      [2, 'SIGKILL'],
    ]) {
      await system.stopFrontend(1, signal);
      const banner = bob.page.locator('[data-testid="reconnect-banner"]');
      await banner.waitFor();
      if (round === 1) await bob.screenshot('reconnect-banner');
      const missed = [1, 2, 3].map((i) => `missed while away, round ${round}, #${i}`);
      for (const text of missed) await alice.send(text);
      await system.restartFrontend(1);
      await banner.waitFor({ state: 'detached', timeout: 60_000 });
      for (const text of missed) await bob.message(text).waitFor();
      const texts = await bob.page.locator('.message[data-message-id] .message-content').allTextContents();
      const positions = missed.map((t) => texts.indexOf(t));
      assert.deepEqual([...positions].sort((a, b) => a - b), positions, 'in order');
      assert.equal(new Set(texts.filter((t) => t.startsWith('missed while away'))).size, texts.filter((t) => t.startsWith('missed while away')).length, 'no duplicates');
      assert.equal(await bob.page.evaluate(() => window.__sameDocument), true, 'no reload');
    }
    // And the live path works again after the reconnect.
    await bob.send('Back online');
    await alice.message('Back online').waitFor();
    await bob.screenshot('after-reconnect');
  });

  scenario('backend restart: the silo is killed and replaced; the page recovers and shows the missed message', async () => {
    const alice = await open(0);
    const bob = await open(1);
    await alice.login('alice');
    await bob.login('bob');
    await alice.open('Bob Smith');
    await bob.open('Alice Johnson');
    await bob.page.evaluate(() => (window.__sameDocument = true));
    const old = system.silos[system.silos.length - 1];
    await old.stop('SIGKILL');
    await system.startSilo();
    const aliceToken = await alice.token();
    // The cluster takes a moment to declare the old silo dead: retry the send (idempotent ids) until it lands.
    const clientMessageId = `after-silo-restart-${Date.now()}`;
    await eventually(
      async () => {
        await apiCall(system.frontendUrl(0), aliceToken, 'POST', `/api/conversations/${DM_ALICE_BOB}/messages`, {
          clientMessageId,
          content: 'Sent after the silo restart',
        });
        return true;
      },
      { timeoutMs: 90_000, what: 'a send to succeed after the silo restart' },
    );
    await bob.message('Sent after the silo restart').waitFor({ timeout: 90_000 });
    await alice.message('Sent after the silo restart').waitFor({ timeout: 90_000 });
    assert.equal(await bob.page.evaluate(() => window.__sameDocument), true, 'no reload');
    await bob.send('Still here');
    await alice.message('Still here').waitFor({ timeout: 60_000 });
  });

  scenario('rate limit: the error is shown in words with a countdown from retryAfter', async () => {
    const url = system.frontendUrl(0);
    const token = await apiLogin(url, 'edward');
    const edward = await open(0);
    await edward.login('edward');
    await edward.open('Bob Smith');
    // Use up the minute's allowance (60 in these tests) through the API.
    for (let i = 0; ; i++) {
      try {
        await sendViaApi(0, token, DM_EDWARD_BOB, `filler ${i}`);
      } catch (error) {
        if (/429/.test(error.message)) break;
        throw error;
      }
      assert.ok(i < 200, 'the rate limit applies');
    }
    await edward.composer().fill('One more thing');
    await edward.composer().press('Enter');
    const notice = edward.page.locator('[data-testid="rate-limit"]');
    await notice.waitFor();
    const first = Number(await notice.locator('strong').textContent());
    assert.ok(first > 0 && first <= 60, `countdown starts from retryAfter (${first})`);
    await eventually(async () => Number(await notice.locator('strong').textContent()) < first, { what: 'the countdown to go down' });
    await edward.page.locator('.send-error', { hasText: 'too quickly' }).waitFor();
    assert.ok(await edward.page.getByRole('button', { name: 'Send message' }).isDisabled());
    await edward.screenshot('rate-limit');
  });

  scenario('attachments: upload with progress, image preview and download link on the other side', async () => {
    const alice = await open(0);
    const bob = await open(1);
    await alice.login('alice');
    await bob.login('bob');
    await alice.open('Bob Smith');
    await bob.open('Alice Johnson');
    await alice.page.locator('input[type=file]').setInputFiles([
      { name: 'floor-plan.png', mimeType: 'image/png', buffer: makePng() },
      { name: 'report.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n') },
    ]);
    const uploads = alice.page.getByRole('list', { name: 'Attachments' });
    await uploads.locator('li', { hasText: 'floor-plan.png' }).waitFor();
    await eventually(async () => (await uploads.locator('progress').count()) === 0, { what: 'the uploads to finish' });
    await alice.composer().fill('Plan and report attached');
    await alice.composer().press('Enter');
    const onBob = bob.message('Plan and report attached');
    const image = onBob.locator('img[alt="floor-plan.png"]');
    await image.waitFor();
    await eventually(() => image.evaluate((el) => el.complete && el.naturalWidth === 96), { what: 'the image preview to load' });
    const [download] = await Promise.all([bob.page.waitForEvent('download'), onBob.getByRole('button', { name: 'Download report.pdf' }).click()]);
    assert.equal(download.suggestedFilename(), 'report.pdf');
    await bob.screenshot('attachments');
  });

  scenario('history: infinite scroll back through older pages, day separators, system and seed messages', async () => {
    const url = system.frontendUrl(0);
    const charlieToken = await apiLogin(url, 'charlie');
    const dianaToken = await apiLogin(url, 'diana');
    for (let i = 1; i <= 30; i++) {
      await sendViaApi(0, i % 2 ? charlieToken : dianaToken, DM_CHARLIE_DIANA, `history filler ${i}`);
      await sendViaApi(0, i % 2 ? dianaToken : charlieToken, DM_CHARLIE_DIANA, `history reply ${i}`);
    }
    const charlie = await open(0);
    await charlie.login('charlie');
    await charlie.open('Diana Prince');
    await charlie.message('history reply 30').waitFor();
    const oldest = 'Cat6 or Cat6a';
    assert.equal(await charlie.page.getByText(oldest).count(), 0, 'the oldest message is not on the first page');
    await eventually(
      async () => {
        await charlie.page.locator('.message-scroller').evaluate((el) => (el.scrollTop = 0));
        return (await charlie.page.getByText(oldest).count()) > 0;
      },
      { what: 'older pages to load when scrolling up' },
    );
    await charlie.page.getByText('This is the beginning of your conversation').waitFor();
    const separators = await charlie.page.locator('.day-separator').allTextContents();
    assert.ok(separators.includes('Today'), `a "Today" separator (${separators})`);
    assert.ok(separators.length >= 2, `separators for earlier days (${separators})`);
    const seqs = await charlie.page.locator('.message[data-seq]').evaluateAll((els) => els.map((e) => Number(e.dataset.seq)));
    assert.deepEqual(
      seqs,
      [...seqs].sort((a, b) => a - b),
      'messages in seq order',
    );
    assert.equal(new Set(seqs).size, seqs.length, 'no duplicates');
    await charlie.screenshot('history-top');
  });

  scenario('phone width: the inbox and the conversation take turns, with a back button', async () => {
    const diana = await open(0, { viewport: { width: 390, height: 844 } });
    await diana.login('diana');
    await diana.screenshot('phone-inbox');
    await diana.open('Warehouse Team');
    assert.equal(await diana.page.locator('.sidebar').isVisible(), false);
    await diana.page.getByRole('button', { name: 'Back to conversations' }).waitFor();
    await diana.send('Checking in from my phone');
    await diana.screenshot('phone-conversation');
    await diana.page.getByRole('button', { name: 'Back to conversations' }).click();
    await diana.page.locator('.sidebar').waitFor();
  });

  scenario('register a new account and get to an empty inbox', async () => {
    const w = await open(1);
    await w.page.goto(system.frontendUrl(1));
    await w.page.getByRole('button', { name: 'Create an account' }).click();
    await w.page.getByLabel('Username').fill('x');
    await w.page.getByLabel('Password').fill('short');
    await w.page.getByRole('button', { name: 'Create account' }).click();
    await w.page.getByRole('alert').filter({ hasText: '3 to 50 letters' }).waitFor();
    const username = `newbie_${Date.now().toString(36)}`;
    await w.page.getByLabel('Username').fill(username);
    await w.page.getByLabel('Display name').fill('New Person');
    await w.page.getByLabel('Password').fill('a-long-password');
    await w.page.getByRole('button', { name: 'Create account' }).click();
    await w.page.getByText('No conversations yet.').waitFor();
    await w.page.getByRole('button', { name: 'Account menu for New Person' }).click();
    await w.page.getByRole('menuitem', { name: 'Sign out' }).click();
    await w.page.getByRole('button', { name: 'Sign in' }).waitFor();
  });
});
