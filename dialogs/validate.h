/* SPDX-License-Identifier: MIT
 * Validators for what parents type (shared/domain.md §1, §2): the IIN check digit and Kazakh
 * phone numbers. Pure; used by dialogs and by the importer. */
#ifndef DIALOGS_VALIDATE_H
#define DIALOGS_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>

enum dlg_iin_verdict {
    DLG_IIN_OK = 0,
    DLG_IIN_NOT_12_DIGITS = 1,
    DLG_IIN_BAD_CHECKSUM = 2, /* includes prefixes for which no check digit exists */
    DLG_IIN_BAD_CENTURY = 3,  /* 7th digit not 1..6 */
};

/** Hints decoded from an IIN by the classic rules. Never a hard check (domain.md §1.2). */
struct dlg_iin_hint {
    bool date_plausible; /* YYMMDD with the century digit is a real date */
    int year, month, day;
    char sex;            /* 'M', 'F' or '?' */
    bool looks_like_bin; /* 5th digit 4..9 */
};

/** Checks a 12-character string of digits; `iin` must be NUL-terminated. */
enum dlg_iin_verdict dlg_iin_check(const char *iin);
/** The check digit for 11 digits, or -1 when none exists (pass 2 gives 10). */
int dlg_iin_check_digit(const char *first11);
void dlg_iin_hint(const char *iin, struct dlg_iin_hint *out);
/** Extracts exactly 12 digits from typed text ("900514 410006", "900-514-410-006"): spaces,
 * dashes and dots are ignored, anything else fails. out must hold 13 bytes. */
bool dlg_iin_extract(const char *text, char *out);

enum dlg_phone_verdict {
    DLG_PHONE_OK = 0,
    DLG_PHONE_BAD_FORMAT = 1, /* letters, wrong length */
    DLG_PHONE_NOT_KZ = 2,     /* +7 but a Russian range */
    DLG_PHONE_NOT_MOBILE = 3, /* a Kazakh landline where a mobile is required */
};

/** Normalises a typed Kazakh phone to E.164 "+77XXXXXXXXX" (out >= 13 bytes). Accepts
 * "+7 (701) 123-45-67", "8 701 123 45 67", "87011234567", "77011234567", "7011234567",
 * "007...". With require_mobile, only the mobile ranges of domain.md §2 pass. */
enum dlg_phone_verdict
dlg_phone_normalize(const char *text, bool require_mobile, char *out, size_t out_len);

#endif
