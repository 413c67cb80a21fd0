/* SPDX-License-Identifier: MIT
 * Test helpers for the SMS channel: a Twilio-style signature over a URL and a form body (what
 * Twilio puts in X-Twilio-Signature), computed independently of bot/sms_sign.c's comparison
 * (its correctness is pinned by tests/vectors/twilio), and a form body builder. */
#ifndef TESTS_SUPPORT_SMS_SUPPORT_H
#define TESTS_SUPPORT_SMS_SUPPORT_H

#include <stddef.h>

/** Base64 HMAC-SHA1 of url + sorted params of body, keyed with token, into out (>= 64). */
int sms_test_sign(const char *token, const char *url, const char *body, char *out, size_t out_len);

/** A Twilio inbound form: MessageSid, From, To, Body (percent-encoded), SmsStatus=received. */
int sms_test_form(const char *sid, const char *from, const char *text, char *out, size_t out_len);

#endif
