/* SPDX-License-Identifier: MIT
 * Text for enum core_err. The switch has no default so a code without a message warns. */
#include "err.h"

static const char *known(enum core_err code)
{
    switch (code) {
    case CORE_OK:
        return "ok";
    case CORE_EINVAL:
        return "invalid argument";
    case CORE_EBADINPUT:
        return "bad input";
    case CORE_ENOMEM:
        return "out of memory";
    case CORE_ETOOBIG:
        return "too big";
    case CORE_ENOTFOUND:
        return "not found";
    case CORE_EEXIST:
        return "already exists";
    case CORE_EIO:
        return "i/o error";
    case CORE_ENET:
        return "network error";
    case CORE_ETIMEOUT:
        return "timed out";
    case CORE_EDB:
        return "database error";
    case CORE_EBUSY:
        return "busy";
    case CORE_ECRYPTO:
        return "crypto error";
    case CORE_ECONFIG:
        return "configuration error";
    case CORE_ESTATE:
        return "not allowed in this state";
    }
    return 0;
}

const char *core_strerror(int code)
{
    const char *text = known((enum core_err)code);
    return text ? text : "unknown error";
}
