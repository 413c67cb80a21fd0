// SPDX-License-Identifier: MIT
// Generates X-Twilio-Signature vectors with the pinned twilio package's own code
// (getExpectedTwilioSignature to sign, validateRequest to judge) into signatures.json.
// Usage: node gen_vectors.js [--check]   (--check: exit 1 when the committed file differs)
'use strict';
const fs = require('fs');
const path = require('path');
const querystring = require('querystring');
const twilio = require('twilio');

const TOKEN = '12345678901234567890123456789012';
const URL = 'https://tabelbot.example.kz/webhook/sms';
const BODY = 'AccountSid=AC0123456789abcdef0123456789abcdef&ApiVersion=2010-04-01' +
  '&Body=%D0%A1%D3%99%D0%BB%D0%B5%D0%BC+1&From=%2B77011234567&MessageSid=' +
  'SM0123456789abcdef0123456789abcdef&NumMedia=0&NumSegments=1&SmsStatus=received' +
  '&To=%2B77470000000';

// name, url configured in the bot, url Twilio signed, body signed, body received, token used,
// header present
const cases = [
  ['valid', URL, URL, BODY, BODY, TOKEN, true],
  ['valid_status_callback', URL, URL,
    'MessageSid=SM0123456789abcdef0123456789abcdef&MessageStatus=delivered&ErrorCode=',
    'MessageSid=SM0123456789abcdef0123456789abcdef&MessageStatus=delivered&ErrorCode=',
    TOKEN, true],
  ['valid_repeated_param', URL, URL, BODY + '&Extra=b&Extra=a', BODY + '&Extra=b&Extra=a',
    TOKEN, true],
  ['valid_query_in_url', URL + '?k=v&a=1', URL + '?k=v&a=1', BODY, BODY, TOKEN, true],
  ['valid_default_port_signed', URL, 'https://tabelbot.example.kz:443/webhook/sms', BODY, BODY,
    TOKEN, true],
  ['tampered_body', URL, URL, BODY, BODY.replace('1&From', '2&From'), TOKEN, true],
  ['added_param', URL, URL, BODY, BODY + '&Injected=1', TOKEN, true],
  ['different_path', URL, 'https://tabelbot.example.kz/webhook/sms2', BODY, BODY, TOKEN, true],
  ['different_host', URL, 'https://evil.example.kz/webhook/sms', BODY, BODY, TOKEN, true],
  ['different_port', URL, 'https://tabelbot.example.kz:8443/webhook/sms', BODY, BODY, TOKEN,
    true],
  ['different_scheme', URL, 'http://tabelbot.example.kz/webhook/sms', BODY, BODY, TOKEN, true],
  ['wrong_token', URL, URL, BODY, BODY, '00000000000000000000000000000000', true],
  ['missing_header', URL, URL, BODY, BODY, TOKEN, false],
];

const out = cases.map(([name, url, signedUrl, signedBody, body, token, withHeader]) => {
  const signature = withHeader ?
    twilio.getExpectedTwilioSignature(token, signedUrl, querystring.parse(signedBody)) : '';
  const valid = twilio.validateRequest(TOKEN, signature, url, querystring.parse(body));
  return {name, auth_token: TOKEN, url, body, signature, valid};
});
const text = JSON.stringify({generator: 'twilio ' + require('twilio/package.json').version,
  cases: out}, null, 1) + '\n';
const file = path.join(__dirname, 'signatures.json');
if (process.argv[2] === '--check') {
  const committed = fs.readFileSync(file, 'utf8');
  if (committed !== text) {
    console.error('signatures.json differs from what the pinned twilio package produces');
    process.exit(1);
  }
  console.log('1 passed, 0 failed');
} else {
  fs.writeFileSync(file, text);
}
