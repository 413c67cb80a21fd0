/* SPDX-License-Identifier: MIT
 * Internals of the configuration loader shared with its tests and fuzz target: the key schema
 * (one row per key of struct bot_config; the loader, the environment overrides, the example
 * file test and the documentation test all walk it) and loading from a buffer. */
#ifndef BOT_CONFIG_INT_H
#define BOT_CONFIG_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bot/config.h"

enum bot_cfg_type {
    BOT_CFG_T_STRING = 1, /* char array of `size` bytes */
    BOT_CFG_T_BOOL,       /* bool */
    BOT_CFG_T_INT,        /* int, min..max */
    BOT_CFG_T_SIZE,       /* size_t, min..max */
    BOT_CFG_T_STRINGS,    /* char [max_items][size] with a size_t count at count_offset */
};

/** A check of one string value beyond type and length: NULL when fine, else static text that
 * says why without repeating the value (it may be a secret). */
typedef const char *(*bot_cfg_check_fn)(const char *text);

struct bot_cfg_key {
    const char *section;
    const char *key;
    enum bot_cfg_type type;
    size_t offset; /* of the field in struct bot_config */
    size_t size;   /* bytes of the field (of one item for BOT_CFG_T_STRINGS) */
    int64_t min;   /* integers only */
    int64_t max;
    size_t count_offset; /* BOT_CFG_T_STRINGS only */
    size_t max_items;
    bot_cfg_check_fn check; /* strings only; NULL = any text without control characters */
    bool secret;            /* wiped by bot_config_wipe; never echoed */
};

/** The schema, in the order keys are documented and validated; static storage. */
const struct bot_cfg_key *bot_config_schema(size_t *count);

/** "TABELBOT_<SECTION>_<KEY>" upper-cased into out (>= 64 bytes is always enough). */
void bot_config_env_name(const struct bot_cfg_key *key, char *out, size_t out_len);

/** bot_config_load with the file's bytes given: `name` is what errors call the file (NULL with
 * text NULL and len 0: no file). Same contract as bot_config_load otherwise. */
CORE_NODISCARD int bot_config_load_text(const char *name,
                                        const char *text,
                                        size_t len,
                                        char *const *envp,
                                        struct bot_config *cfg,
                                        char *err,
                                        size_t err_len);

#endif
