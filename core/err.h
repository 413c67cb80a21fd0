/* SPDX-License-Identifier: MIT
 * The one error vocabulary of tabelbot. Every function that can fail returns int: 0 on success
 * or a negative enum core_err. Codes are appended, never renumbered. Foreign codes (uv, curl,
 * sqlite, cJSON) are translated at the edge that owns the library. */
#ifndef CORE_ERR_H
#define CORE_ERR_H

#if defined(__GNUC__) || defined(__clang__)
#define CORE_NODISCARD         __attribute__((warn_unused_result))
#define CORE_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define CORE_NODISCARD
#define CORE_PRINTF(fmt, args)
#endif

enum core_err {
    CORE_OK = 0,
    CORE_EINVAL = -1,    /* caller bug: a precondition was broken */
    CORE_EBADINPUT = -2, /* untrusted data rejected */
    CORE_ENOMEM = -3,
    CORE_ETOOBIG = -4,
    CORE_ENOTFOUND = -5,
    CORE_EEXIST = -6,
    CORE_EIO = -7,
    CORE_ENET = -8,
    CORE_ETIMEOUT = -9,
    CORE_EDB = -10,
    CORE_EBUSY = -11,
    CORE_ECRYPTO = -12,
    CORE_ECONFIG = -13,
    CORE_ESTATE = -14, /* the operation is not allowed in the current state */
};

/** Human text for a code; never NULL; static storage. */
const char *core_strerror(int code);

#endif
