/* SPDX-License-Identifier: MIT
 * IIN check digits and phone normalisation against the vectors of shared/domain.md §1.6, §2. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "dialogs/validate.h"

static void test_iin_valid_vectors(void **state)
{
    (void)state;
    const char *valid[] = {"200101500003", "190615600000", "851231300005", "000229500008",
                           "211031600004", "900514410006", "881122310372", "920303310748",
                           "950717411116", "870208411489",
                           /* odd by the classic rules but checksum-valid: soft hints only */
                           "190230600007"};
    for (size_t i = 0; i < sizeof valid / sizeof valid[0]; i++) {
        assert_int_equal(dlg_iin_check(valid[i]), DLG_IIN_OK);
    }
}

static void test_iin_invalid_vectors(void **state)
{
    (void)state;
    assert_int_equal(dlg_iin_check("200101500004"), DLG_IIN_BAD_CHECKSUM);
    assert_int_equal(dlg_iin_check("200110500003"), DLG_IIN_BAD_CHECKSUM);
    assert_int_equal(dlg_iin_check("20010150000"), DLG_IIN_NOT_12_DIGITS);
    assert_int_equal(dlg_iin_check("851231300050"), DLG_IIN_BAD_CHECKSUM);
    assert_int_equal(dlg_iin_check("20010150000a"), DLG_IIN_NOT_12_DIGITS);
    assert_int_equal(dlg_iin_check("200101700006"), DLG_IIN_BAD_CENTURY);
    for (char d = '0'; d <= '9'; d++) {
        char iin[13] = "19010550010x";
        iin[11] = d;
        assert_int_equal(dlg_iin_check(iin), DLG_IIN_BAD_CHECKSUM); /* pass 2 gives 10 */
    }
    assert_int_equal(dlg_iin_check_digit("19010550010"), -1);
    assert_int_equal(dlg_iin_check_digit("19061560000"), 0); /* via the second pass */
}

static void test_iin_eleventh_digit_weakness_is_real(void **state)
{
    (void)state;
    /* domain.md §1.5: the 11th digit is invisible to pass 1, so both pass. The dialog must
     * show the registry name back; this test documents why. */
    assert_int_equal(dlg_iin_check("851231300005"), DLG_IIN_OK);
    assert_int_equal(dlg_iin_check("851231300055"), DLG_IIN_OK);
}

static void test_iin_hint_is_decoded(void **state)
{
    (void)state;
    struct dlg_iin_hint hint;
    dlg_iin_hint("900514410006", &hint);
    assert_true(hint.date_plausible);
    assert_int_equal(hint.year, 1990);
    assert_int_equal(hint.sex, 'F');
    dlg_iin_hint("190230600007", &hint);
    assert_false(hint.date_plausible);
    dlg_iin_hint("200101500003", &hint);
    assert_int_equal(hint.year, 2020);
    assert_int_equal(hint.sex, 'M');
}

static void test_iin_extract(void **state)
{
    (void)state;
    char out[13];
    assert_true(dlg_iin_extract("900514 410006", out));
    assert_string_equal(out, "900514410006");
    assert_true(dlg_iin_extract("900-514-410-006", out));
    assert_false(dlg_iin_extract("90051441000", out));
    assert_false(dlg_iin_extract("9005144100061", out));
    assert_false(dlg_iin_extract("ЖСН 900514410006", out));
}

static void test_phone_forms(void **state)
{
    (void)state;
    const char *forms[] = {"+7 (701) 123-45-67", "+7 701 1234567", "8 701 123 45 67",
                           "87011234567",        "77011234567",    "7011234567",
                           "007 701 123 45 67"};
    char out[16];
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        assert_int_equal(dlg_phone_normalize(forms[i], true, out, sizeof out), DLG_PHONE_OK);
        assert_string_equal(out, "+77011234567");
    }
}

static void test_phone_rejections(void **state)
{
    (void)state;
    char out[16];
    assert_int_equal(dlg_phone_normalize("+7 916 123-45-67", true, out, sizeof out),
                     DLG_PHONE_NOT_KZ);
    assert_int_equal(dlg_phone_normalize("8 (727) 339-72-22", true, out, sizeof out),
                     DLG_PHONE_NOT_MOBILE);
    assert_int_equal(dlg_phone_normalize("8 (727) 339-72-22", false, out, sizeof out),
                     DLG_PHONE_OK);
    assert_string_equal(out, "+77273397222");
    assert_int_equal(dlg_phone_normalize("phone 87011234567", true, out, sizeof out),
                     DLG_PHONE_BAD_FORMAT);
    assert_int_equal(dlg_phone_normalize("701123456", true, out, sizeof out), DLG_PHONE_BAD_FORMAT);
    assert_int_equal(dlg_phone_normalize("", true, out, sizeof out), DLG_PHONE_BAD_FORMAT);
    assert_int_equal(dlg_phone_normalize("8 747 339 72 22", true, out, sizeof out), DLG_PHONE_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_iin_valid_vectors),
        cmocka_unit_test(test_iin_invalid_vectors),
        cmocka_unit_test(test_iin_eleventh_digit_weakness_is_real),
        cmocka_unit_test(test_iin_hint_is_decoded),
        cmocka_unit_test(test_iin_extract),
        cmocka_unit_test(test_phone_forms),
        cmocka_unit_test(test_phone_rejections),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
