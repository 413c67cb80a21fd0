// SPDX-License-Identifier: MIT
// End to end: the telegram-test-api emulator plays the Telegram Bot API on an ephemeral port,
// the real `tabelbot serve` runs in long-polling mode against it (api_base_url), and test
// clients play parents: registration with a shared contact, the one-time code (read from the
// dev console code sink on the service's stdout), child, month, review, confirm and dispute,
// in Kazakh and Russian, pressing inline buttons through /sendCallback. Every wait is for an
// event (a reply, a line), bounded by generous timeouts; nothing asserts on speed.
// The emulator validates no limits (callback_data bytes, text length): the unit tests own them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const TelegramServer = require('telegram-test-api');

const BIN = process.env.TABELBOT_BIN;
const SRC = process.env.TABELBOT_SOURCE_DIR;
const TOKEN = '7000000001:e2e-Token_x';
const NOW = '2026-12-03T10:00:00+05:00';
const WAIT_MS = 60000;

let emulator;
let serve;
let dir;
const codes = []; // one-time codes seen on serve's stdout, in order
let serveLog = '';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function run(args) {
  const r = spawnSync(BIN, args, { cwd: dir, env: { ...process.env, TABELBOT_NOW: NOW }, encoding: 'utf8' });
  assert.equal(r.status, 0, `tabelbot ${args.join(' ')}: ${r.stderr}`);
}

async function startEmulator() {
  emulator = new TelegramServer({ host: '127.0.0.1', port: 9000, storeTimeout: 600 });
  emulator.config.port = 0; // ephemeral: the constructor treats 0 as "default"
  await emulator.start();
  const { port } = emulator.server.address();
  emulator.config.port = port;
  emulator.config.apiURL = `http://127.0.0.1:${port}`;
  return port;
}

function startServe(config) {
  return new Promise((resolve, reject) => {
    serve = spawn(BIN, ['serve', '--config', config], {
      cwd: dir,
      env: { ...process.env, TABELBOT_NOW: NOW },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let buffered = '';
    const timer = setTimeout(() => reject(new Error(`serve did not start:\n${serveLog}`)), WAIT_MS);
    serve.stdout.setEncoding('utf8');
    serve.stdout.on('data', (chunk) => {
      buffered += chunk;
      let nl;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        const code = /tabelbot code: (\d{6})/.exec(line);
        if (code) codes.push(code[1]);
        if (line.startsWith('tabelbot listening on')) {
          clearTimeout(timer);
          resolve();
        }
      }
    });
    serve.stderr.setEncoding('utf8');
    serve.stderr.on('data', (chunk) => {
      serveLog += chunk;
    });
    serve.once('exit', (code, signal) => {
      serveLog += `\n[serve exited: code ${code} signal ${signal}]\n`;
      reject(new Error(`serve exited ${code}:\n${serveLog}`));
    });
  });
}

before(async () => {
  assert.ok(BIN, 'TABELBOT_BIN is set by ctest');
  dir = mkdtempSync(join(tmpdir(), 'tabelbot-e2e-'));
  const port = await startEmulator();
  const config = join(dir, 'tabelbot.toml');
  writeFileSync(
    config,
    [
      '[server]',
      'listen = "127.0.0.1:0"',
      '[database]',
      `path = "${join(dir, 'tabelbot.db')}"`,
      '[security]',
      `data_key_file = "${join(dir, 'tabelbot.key')}"`,
      '[telegram]',
      'enabled = true',
      `token = "${TOKEN}"`,
      `api_base_url = "http://127.0.0.1:${port}"`,
      'mode = "polling"',
      'poll_timeout_s = 25', // the emulator ignores it and answers at once
      'poll_interval_ms = 100',
      '[dev]',
      'clock_override = true',
      'code_sink = "console"',
      '',
    ].join('\n'),
  );
  run(['migrate', '--config', config]);
  run(['import', '--config', config, join(SRC, 'tests/fixtures/registry-demo.json')]);
  await startServe(config);
});

after(async () => {
  if (serve && serve.exitCode === null) {
    serve.removeAllListeners('exit');
    const exited = new Promise((r) => serve.once('exit', r));
    serve.kill('SIGTERM');
    await exited;
  }
  if (emulator) await emulator.stop();
  if (dir && !process.env.TABELBOT_E2E_KEEP) rmSync(dir, { recursive: true, force: true });
  if (dir && process.env.TABELBOT_E2E_KEEP) writeFileSync(join(dir, 'serve.log'), serveLog);
});

// ---- a parent in a private chat ----

class Parent {
  constructor(userId, firstName) {
    this.userId = userId;
    this.client = emulator.getClient(TOKEN, {
      userId,
      chatId: userId,
      firstName,
      userName: `parent${userId}`,
      type: 'private',
    });
    this.inbox = []; // bot messages not consumed yet
    this.last = null; // the last bot message consumed
  }

  // Waits for a bot message whose text matches re; consumes it and everything before it.
  async expect(re) {
    const end = Date.now() + WAIT_MS;
    for (;;) {
      const i = this.inbox.findIndex((m) => re.test(m.text));
      if (i >= 0) {
        this.last = this.inbox[i];
        this.inbox.splice(0, i + 1);
        return this.last;
      }
      if (Date.now() > end) {
        const seen = this.inbox.map((m) => m.text).join('\n---\n');
        throw new Error(`no reply matching ${re} for ${this.userId}; unread:\n${seen}\n--- serve log (end) ---\n${serveLog.slice(-3000)}`);
      }
      // The client API's /getUpdates directly: the packaged client's own polling times out
      // on its side after the server has marked messages read, which would lose them.
      const res = await fetch(`${emulator.config.apiURL}/getUpdates`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ token: TOKEN, chatId: this.userId }),
      });
      const { result } = await res.json();
      for (const u of result) this.inbox.push(u.message);
      if (result.length === 0) await sleep(100);
    }
  }

  static markup(message) {
    const m = message.reply_markup;
    return typeof m === 'string' ? JSON.parse(m) : m;
  }

  // The inline button with this callback_data on the message, or a failure.
  static button(message, data) {
    const markup = Parent.markup(message);
    assert.ok(markup && markup.inline_keyboard, `no inline keyboard on: ${message.text}`);
    const b = markup.inline_keyboard.flat().find((x) => x.callback_data === data);
    assert.ok(b, `no button ${data} on: ${message.text}`);
    return b;
  }

  async press(message, data) {
    Parent.button(message, data);
    const cb = this.client.makeCallbackQuery(data, {
      message: { message_id: message.message_id ?? 1, chat: { id: this.userId, type: 'private' } },
    });
    await this.client.sendCallback(cb);
  }

  async say(text) {
    await this.client.sendMessage(this.client.makeMessage(text));
  }

  async command(text) {
    await this.client.sendCommand(this.client.makeCommand(text));
  }

  async shareContact(phone, ownerId) {
    const msg = this.client.makeMessage('', {
      contact: { phone_number: phone, first_name: 'Parent', user_id: ownerId },
    });
    delete msg.text;
    await this.client.sendMessage(msg);
  }
}

async function codeAfter(count) {
  const end = Date.now() + WAIT_MS;
  while (codes.length <= count) {
    if (Date.now() > end) throw new Error('no one-time code on the console sink');
    await sleep(50);
  }
  return codes[codes.length - 1];
}

// Registration up to the main menu: language, consent, contact (own), IIN, code, "this is me".
async function register(p, { lang, phone, iin, texts }) {
  await p.command('/start');
  let m = await p.expect(texts.pickLanguage);
  await p.press(m, `lang:${lang}`);
  m = await p.expect(texts.consent);
  await p.press(m, 'yes');
  m = await p.expect(texts.share);
  const keyboard = Parent.markup(m);
  assert.ok(keyboard.keyboard, 'the phone step shows a reply keyboard');
  assert.equal(keyboard.one_time_keyboard, true);
  assert.equal(keyboard.keyboard[0][0].request_contact, true);
  // someone else's contact is refused, the parent's own is taken
  await p.shareContact(phone, p.userId + 1);
  await p.expect(texts.notOwn);
  await p.shareContact(phone, p.userId);
  m = await p.expect(/^\u2705 \+7\d{3}\*+\d{2}$/); // the masked number, acknowledged
  assert.equal(Parent.markup(m).remove_keyboard, true, 'the contact keyboard goes away');
  m = await p.expect(texts.iin);
  assert.equal(Parent.markup(m).keyboard, undefined, 'no contact keyboard after the phone step');
  const seen = codes.length;
  await p.say(iin);
  const code = await codeAfter(seen);
  await p.expect(texts.codeSent);
  await p.say(code);
  m = await p.expect(texts.registryData);
  await p.press(m, 'identity:yes');
  return p.expect(texts.menu);
}

const KK = {
  pickLanguage: /Тілді таңдаңыз/,
  consent: /деректер саясат/,
  share: /Нөмірді бөлісу/,
  notOwn: /Өз нөміріңізді бөлісіңіз/,
  iin: /ЖСН/,
  codeSent: /\+7 \d{3} \*\*\* \*\* \d{2}/,
  registryData: /Тегі:/,
  menu: /Басты мәзір/,
  child: /Балаңызды таңдаңыз/,
  month: /айды таңдаңыз/,
  review: /Растау мерзімі/,
  sure: /заңды күшке ие/,
  confirmed: /табелі расталды/,
};

const RU = {
  pickLanguage: /Тілді таңдаңыз|Выберите язык/,
  consent: /политик/i,
  share: /Поделиться номером/,
  notOwn: /Поделитесь своим номером/,
  iin: /ИИН/,
  codeSent: /\+7 \d{3} \*\*\* \*\* \d{2}/,
  registryData: /Фамилия:/,
  menu: /Главное меню/,
  month: /выберите месяц/,
  review: /Проверьте, соответствуют ли отмеченные дни/,
  sure: /юридическую силу/,
  confirmed: /подтвержд[её]н\. Код квитанции/,
};

const RECEIPT = /[0-9A-Z]{5}-[0-9A-Z]{5}/;

// Dispute: review -> dispute -> days -> reason (a button, or "other" and typed) -> send.
async function dispute(p, review, { days, reason, typed, prompts }) {
  await p.press(review, 'ts:dispute');
  await p.expect(prompts.days);
  await p.say(days);
  let m = await p.expect(prompts.reason);
  await p.press(m, reason);
  if (typed) {
    await p.expect(prompts.typeReason);
    await p.say(typed);
  }
  m = await p.expect(prompts.send);
  await p.press(m, 'dispute:send');
  const done = await p.expect(prompts.done);
  assert.match(done.text, RECEIPT);
  return done;
}

test('kk: Айгерім registers with her shared contact, confirms one child and disputes the other', async () => {
  const p = new Parent(5120734561, 'Айгерім');
  let m = await register(p, { lang: 'kk', phone: '+7 701 000 00 01', iin: '900514410006', texts: KK });
  await p.press(m, 'menu:confirm');
  m = await p.expect(KK.child);
  await p.press(m, 'child:ch-0001');
  m = await p.expect(KK.month);
  await p.press(m, 'month:2026-11');
  m = await p.expect(KK.review);
  await p.press(m, 'ts:confirm');
  m = await p.expect(KK.sure);
  await p.press(m, 'ts:sign');
  m = await p.expect(KK.confirmed);
  assert.match(m.text, RECEIPT);
  if (!KK.menu.test(m.text) || !Parent.markup(m)?.inline_keyboard) {
    m = await p.expect(KK.menu); // the menu follows the receipt, in it or after it
  }
  await p.press(m, 'menu:confirm');
  m = await p.expect(KK.child);
  await p.press(m, 'child:ch-0002');
  m = await p.expect(KK.month);
  await p.press(m, 'month:2026-11');
  m = await p.expect(KK.review);
  await dispute(p, m, {
    days: '3, 7',
    reason: 'reason:absent',
    prompts: {
      days: /Қай күндер қате белгіленген/,
      reason: /Келіспеу себебін таңдаңыз/,
      send: /Балабақшаға жіберейік пе/,
      done: /Келіспеу балабақшаға жіберілді/,
    },
  });
});

test('ru: Дмитрий registers in Russian and confirms November', async () => {
  const p = new Parent(6120734562, 'Дмитрий');
  let m = await register(p, { lang: 'ru', phone: '87020000002', iin: '881122310372', texts: RU });
  await p.press(m, 'menu:confirm');
  m = await p.expect(RU.month); // one child: the child step is skipped
  await p.press(m, 'month:2026-11');
  m = await p.expect(RU.review);
  await p.press(m, 'ts:confirm');
  m = await p.expect(RU.sure);
  await p.press(m, 'ts:sign');
  m = await p.expect(RU.confirmed);
  assert.match(m.text, RECEIPT);
});

test('ru: Ерлан registers in Russian and disputes November with his own words', async () => {
  const p = new Parent(7120734563, 'Ерлан');
  let m = await register(p, { lang: 'ru', phone: '+77070000003', iin: '920303310748', texts: RU });
  await p.press(m, 'menu:confirm');
  m = await p.expect(RU.month);
  await p.press(m, 'month:2026-11');
  m = await p.expect(RU.review);
  await dispute(p, m, {
    days: '3, 7',
    reason: 'reason:other',
    typed: 'Ребёнок был дома, воспитатель ошиблась',
    prompts: {
      days: /Какие дни отмечены неверно/,
      reason: /Выберите причину несогласия/,
      typeReason: /Кратко опишите причину/,
      send: /Отправить в детский сад\?/,
      done: /Отказ с причинами отправлен в детский сад/,
    },
  });
});

test('the service log holds no IIN, phone, one-time code or token', async () => {
  assert.ok(codes.length >= 3, 'three parents got a code');
  for (const secret of ['900514410006', '881122310372', '920303310748', '7010000001', '7020000002', '7070000003', ...codes, TOKEN.split(':')[1]]) {
    assert.ok(!serveLog.includes(secret), `the log leaks ${secret.length} characters of personal data`);
  }
});
