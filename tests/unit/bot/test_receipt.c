/* SPDX-License-Identifier: MIT
 * Unit tests of receipts: the canonical record, signature verification (a changed field or
 * another key fails), the reference code (format, independent recomputation, normalisation of
 * dictated codes), and the decision recorded in the audit chain. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "bot/audit.h"
#include "bot/receipt.h"
#include "db/audit.h"
#include "support/records_env.h"

#define NOW    1796274000 /* 2026-12-03T10:00:00+05:00 */
#define OFFSET 18000

struct fixture {
    struct records_env env;
    char days_hash[BOT_AUDIT_HEX];
    struct bot_receipt_fields fields;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    records_env_open(&f->env);
    bot_audit_days_hash("-PPPPP--PPPPP--PAPPP--PPPPP--PP", f->days_hash);
    f->fields = (struct bot_receipt_fields){
        .decision = "confirmed",
        .child_id = "ch-001",
        .month = "2026-11",
        .days_hash = f->days_hash,
        .decided_at = NOW,
        .utc_offset_s = OFFSET,
        .channel = "sms",
    };
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    records_env_close(&f->env);
    free(f);
    return 0;
}

static void public_key(struct fixture *f, unsigned char pk[BOT_PUBLIC_KEY_BYTES])
{
    bot_crypto_public_key(f->env.crypto, pk);
}

static bool ref_format_ok(const char *ref)
{
    const char *alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    if (strlen(ref) != 11 || ref[5] != '-') {
        return false;
    }
    for (size_t i = 0; i < 11; i++) {
        if (i != 5 && (ref[i] == '\0' || !strchr(alphabet, ref[i]))) {
            return false;
        }
    }
    return true;
}

static void test_record_is_canonical(void **state)
{
    struct fixture *f = *state;
    char record[BOT_RECEIPT_RECORD_SIZE];
    assert_int_equal(bot_receipt_record(&f->fields, record, sizeof record), CORE_OK);
    char want[256];
    snprintf(want, sizeof want,
             "tabelbot-receipt/1|confirmed|ch-001|2026-11|%s|2026-12-03T10:00:00+05:00|sms",
             f->days_hash);
    assert_string_equal(record, want);
    char small[40];
    assert_int_equal(bot_receipt_record(&f->fields, small, sizeof small), CORE_ETOOBIG);

    struct bot_receipt_fields bad = f->fields;
    bad.child_id = "ch|001";
    assert_int_equal(bot_receipt_record(&bad, record, sizeof record), CORE_EINVAL);
    bad = f->fields;
    bad.decision = "maybe";
    assert_int_equal(bot_receipt_record(&bad, record, sizeof record), CORE_EINVAL);
    bad = f->fields;
    bad.channel = "fax";
    assert_int_equal(bot_receipt_record(&bad, record, sizeof record), CORE_EINVAL);
    bad = f->fields;
    bad.month = "2026-13";
    assert_int_equal(bot_receipt_record(&bad, record, sizeof record), CORE_EINVAL);
    bad = f->fields;
    bad.days_hash = "PPPP";
    assert_int_equal(bot_receipt_record(&bad, record, sizeof record), CORE_EINVAL);
}

static void test_verify_ok_and_changed_field_fails(void **state)
{
    struct fixture *f = *state;
    char ref[BOT_RECEIPT_REF_SIZE];
    char sig[BOT_RECEIPT_SIG_HEX];
    assert_int_equal(bot_receipt_make(f->env.crypto, &f->fields, ref, sig), CORE_OK);
    assert_true(ref_format_ok(ref));
    assert_int_equal(strlen(sig), 128);
    unsigned char pk[BOT_PUBLIC_KEY_BYTES];
    public_key(f, pk);
    char record[BOT_RECEIPT_RECORD_SIZE];
    assert_int_equal(bot_receipt_record(&f->fields, record, sizeof record), CORE_OK);
    assert_int_equal(bot_receipt_verify(pk, record, sig), CORE_OK);

    char other_hash[BOT_AUDIT_HEX];
    bot_audit_days_hash("-PPPPP--PPPPP--PPPPP--PPPPP--PP", other_hash);
    struct bot_receipt_fields changed[6];
    for (size_t i = 0; i < 6; i++) {
        changed[i] = f->fields;
    }
    changed[0].decision = "disputed";
    changed[1].child_id = "ch-002";
    changed[2].month = "2026-10";
    changed[3].days_hash = other_hash;
    changed[4].decided_at = NOW + 1;
    changed[5].channel = "telegram";
    for (size_t i = 0; i < 6; i++) {
        char altered[BOT_RECEIPT_RECORD_SIZE];
        assert_int_equal(bot_receipt_record(&changed[i], altered, sizeof altered), CORE_OK);
        assert_int_equal(bot_receipt_verify(pk, altered, sig), CORE_ECRYPTO);
    }
    /* A flipped signature byte fails; a malformed signature is bad input. */
    char flipped[BOT_RECEIPT_SIG_HEX];
    memcpy(flipped, sig, sizeof flipped);
    flipped[10] = flipped[10] == '0' ? '1' : '0';
    assert_int_equal(bot_receipt_verify(pk, record, flipped), CORE_ECRYPTO);
    assert_int_equal(bot_receipt_verify(pk, record, "abc"), CORE_EBADINPUT);
    flipped[0] = 'z';
    assert_int_equal(bot_receipt_verify(pk, record, flipped), CORE_EBADINPUT);
}

static void test_another_key_fails(void **state)
{
    struct fixture *f = *state;
    char ref[BOT_RECEIPT_REF_SIZE];
    char sig[BOT_RECEIPT_SIG_HEX];
    assert_int_equal(bot_receipt_make(f->env.crypto, &f->fields, ref, sig), CORE_OK);
    char key2[400];
    snprintf(key2, sizeof key2, "%s/other.key", f->env.dir);
    struct bot_crypto *other = NULL;
    assert_int_equal(bot_crypto_open(key2, true, &other), CORE_OK);
    unsigned char pk[BOT_PUBLIC_KEY_BYTES];
    bot_crypto_public_key(other, pk);
    char record[BOT_RECEIPT_RECORD_SIZE];
    assert_int_equal(bot_receipt_record(&f->fields, record, sizeof record), CORE_OK);
    assert_int_equal(bot_receipt_verify(pk, record, sig), CORE_ECRYPTO);
    /* The other key's own receipt for the same decision has another reference. */
    char ref2[BOT_RECEIPT_REF_SIZE];
    char sig2[BOT_RECEIPT_SIG_HEX];
    assert_int_equal(bot_receipt_make(other, &f->fields, ref2, sig2), CORE_OK);
    assert_string_not_equal(ref, ref2);
    assert_int_equal(bot_receipt_verify(pk, record, sig2), CORE_OK);
    bot_crypto_close(other);
    remove(key2);
}

/* Crockford base32 of the first 50 bits of BLAKE2b-256(sig), bit by bit. */
static void expected_ref(const char *sig_hex, char out[12])
{
    unsigned char sig[64];
    assert_int_equal(sodium_hex2bin(sig, 64, sig_hex, 128, NULL, NULL, NULL), 0);
    unsigned char d[32];
    crypto_generichash(d, 32, sig, 64, NULL, 0);
    const char *alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    size_t o = 0;
    for (int c = 0; c < 10; c++) {
        int v = 0;
        for (int b = 0; b < 5; b++) {
            int bit = c * 5 + b;
            v = v << 1 | ((d[bit / 8] >> (7 - bit % 8)) & 1);
        }
        if (c == 5) {
            out[o++] = '-';
        }
        out[o++] = alphabet[v];
    }
    out[o] = '\0';
}

static void test_reference_code_format_and_derivation(void **state)
{
    struct fixture *f = *state;
    char seen[200][BOT_RECEIPT_REF_SIZE];
    char child[16];
    for (int i = 0; i < 200; i++) {
        struct bot_receipt_fields fields = f->fields;
        snprintf(child, sizeof child, "ch-%03d", i);
        fields.child_id = child;
        char sig[BOT_RECEIPT_SIG_HEX];
        assert_int_equal(bot_receipt_make(f->env.crypto, &fields, seen[i], sig), CORE_OK);
        assert_true(ref_format_ok(seen[i]));
        char want[12];
        expected_ref(sig, want);
        assert_string_equal(seen[i], want);
        for (int j = 0; j < i; j++) {
            assert_string_not_equal(seen[i], seen[j]);
        }
    }
    /* Ed25519 is deterministic: the same decision signs to the same reference. */
    char again[BOT_RECEIPT_REF_SIZE];
    char sig[BOT_RECEIPT_SIG_HEX];
    struct bot_receipt_fields fields = f->fields;
    fields.child_id = "ch-007";
    assert_int_equal(bot_receipt_make(f->env.crypto, &fields, again, sig), CORE_OK);
    assert_string_equal(again, seen[7]);
}

static void test_reference_normalisation(void **state)
{
    (void)state;
    char out[BOT_RECEIPT_REF_SIZE];
    assert_true(bot_receipt_ref_normalize("7k3qz-m1x9a", out));
    assert_string_equal(out, "7K3QZ-M1X9A");
    assert_true(bot_receipt_ref_normalize(" 7K3QZ M1X9A ", out));
    assert_string_equal(out, "7K3QZ-M1X9A");
    assert_true(bot_receipt_ref_normalize("oiLl0-ABCDE", out));
    assert_string_equal(out, "01110-ABCDE");
    assert_false(bot_receipt_ref_normalize("7K3QZ-M1X9", out));
    assert_false(bot_receipt_ref_normalize("7K3QZ-M1X9AB", out));
    assert_false(bot_receipt_ref_normalize("7K3QZ-M1X9U", out));
    assert_false(bot_receipt_ref_normalize("7K3QZ+M1X9A", out));
    assert_false(bot_receipt_ref_normalize("", out));
    assert_false(bot_receipt_ref_normalize("Ә7K3QZM1X9A", out));
}

static void test_decision_recorded_in_audit(void **state)
{
    struct fixture *f = *state;
    char ref[BOT_RECEIPT_REF_SIZE];
    assert_int_equal(
        bot_receipt_record_decision(f->env.crypto, f->env.db, &f->fields, "contact:12", ref),
        CORE_OK);
    assert_true(ref_format_ok(ref));
    struct db_audit_row row;
    assert_int_equal(db_audit_find_receipt(f->env.db, ref, &row), CORE_OK);
    assert_string_equal(row.actor, "contact:12");
    assert_string_equal(row.action, "confirmed");
    assert_string_equal(row.channel, "sms");
    assert_string_equal(row.child_id, "ch-001");
    assert_string_equal(row.days_hash, f->days_hash);
    assert_int_equal(row.at, NOW);
    assert_int_equal(strncmp(row.detail, "sig=", 4), 0);
    assert_int_equal(strlen(row.detail), 4 + 128);

    unsigned char pk[BOT_PUBLIC_KEY_BYTES];
    public_key(f, pk);
    assert_int_equal(bot_receipt_verify_audit(pk, &row, OFFSET), CORE_OK);
    /* The record can be rebuilt from the row and checked with the public key alone. */
    char record[BOT_RECEIPT_RECORD_SIZE];
    assert_int_equal(bot_receipt_record(&f->fields, record, sizeof record), CORE_OK);
    assert_int_equal(bot_receipt_verify(pk, record, row.detail + 4), CORE_OK);
    int64_t bad = 0;
    assert_int_equal(bot_audit_verify(f->env.db, &bad), CORE_OK);

    /* A row whose month was changed no longer carries a valid receipt. */
    struct db_audit_row forged = row;
    snprintf(forged.month, sizeof forged.month, "2026-10");
    assert_int_equal(bot_receipt_verify_audit(pk, &forged, OFFSET), CORE_ECRYPTO);
    forged = row;
    snprintf(forged.receipt, sizeof forged.receipt, "00000-00000");
    assert_int_equal(bot_receipt_verify_audit(pk, &forged, OFFSET), CORE_ECRYPTO);
    forged = row;
    snprintf(forged.detail, sizeof forged.detail, "n=1");
    assert_int_equal(bot_receipt_verify_audit(pk, &forged, OFFSET), CORE_EBADINPUT);

    /* Invalid fields record nothing. */
    struct bot_receipt_fields bad_fields = f->fields;
    bad_fields.decision = "approved";
    assert_int_equal(
        bot_receipt_record_decision(f->env.crypto, f->env.db, &bad_fields, "contact:12", ref),
        CORE_EINVAL);
    assert_int_equal(
        bot_receipt_record_decision(f->env.crypto, f->env.db, &f->fields, "Айгерім", ref),
        CORE_EINVAL);
    assert_int_equal(records_env_raw_int(&f->env, "SELECT count(*) FROM audit"), 1);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_record_is_canonical),     T(test_verify_ok_and_changed_field_fails),
        T(test_another_key_fails),       T(test_reference_code_format_and_derivation),
        T(test_reference_normalisation), T(test_decision_recorded_in_audit),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
