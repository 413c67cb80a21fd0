/* SPDX-License-Identifier: MIT
 * `tabelbot chat [--config FILE] [--user NAME] [--no-start]`: talk to the bot as a parent in
 * this terminal. Every typed line takes the production path: sealed into the inbox, handled
 * by the conversation service in one transaction, queued in the outbox, and delivered by the
 * dispatcher to the terminal channel's local sender, which prints it with numbered options.
 * The command reads stdin with blocking calls and turns the loop between lines: nothing else
 * runs in this process, so waiting for the parent blocks nobody. Exit 0 at end of input. */
#define LOG_MODULE "chat"
#include "bot/commands.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "adapters/console.h"
#include "adapters/reply_codec.h"
#include "adapters/utf8.h"
#include "bot/cli.h"
#include "bot/clock.h"
#include "bot/config.h"
#include "bot/conversation.h"
#include "bot/crypto.h"
#include "bot/inbox.h"
#include "bot/keystore.h"
#include "bot/outbox.h"
#include "core/log.h"
#include "db/db.h"
#include "db/inbox.h"
#include "db/outbox.h"

extern char **environ;

#define CHAT_LINE_MAX 2048

struct chat_args {
    const char *config_path;
    const char *user;
    bool send_start;
};

struct chat {
    struct bot_config cfg;
    struct bot_clock clock;
    struct bot_crypto *crypto;
    struct db *db;
    uv_loop_t loop;
    bool loop_ready;
    struct bot_inbox *inbox;
    struct bot_outbox *outbox;
    struct bot_conversation conversation;
    struct bot_code_sink sink;
    const char *user;
    char session_tag[17]; /* random per run: external ids never collide across runs */
    unsigned long seq;
};

static int usage(const char *why)
{
    fprintf(stderr, "tabelbot chat: %s (usage: chat [--config FILE] [--user NAME] [--no-start])\n",
            why);
    return 2;
}

static int parse_args(int argc, char **argv, struct chat_args *args)
{
    args->config_path = NULL;
    args->user = "terminal";
    args->send_start = true;
    for (int i = 0; i < argc; i++) {
        int taken = bot_cli_take_config("chat", argc, argv, &i, &args->config_path);
        if (taken < 0) {
            return 2;
        }
        if (taken > 0) {
            continue;
        }
        if (strcmp(argv[i], "--user") == 0) {
            if (i + 1 >= argc || argv[i + 1][0] == '\0') {
                return usage("--user needs a name");
            }
            args->user = argv[++i];
        } else if (strcmp(argv[i], "--no-start") == 0) {
            args->send_start = false;
        } else {
            return usage("unknown argument");
        }
    }
    if (strlen(args->user) >= 48 || strchr(args->user, '\n')) {
        return usage("--user is at most 47 characters");
    }
    return 0;
}

/* ---- the terminal channel's sender ---- */

static int print_reply(void *ctx, const struct bot_outbox_msg *msg)
{
    (void)ctx;
    struct core_reply *reply = malloc(sizeof *reply);
    if (!reply) {
        return CORE_ENOMEM;
    }
    int rc = ad_reply_decode(msg->payload, msg->payload_len, reply);
    struct core_buf text;
    core_buf_init(&text, 0);
    if (rc == CORE_OK) {
        rc = ad_console_render(reply, &text);
    }
    if (rc == CORE_OK) {
        printf("\n%s", text.data);
        fflush(stdout);
    }
    core_buf_cleanup(&text);
    free(reply);
    return rc;
}

/* ---- set-up and teardown ---- */

static int open_parts(struct chat *chat, char *err, size_t err_len)
{
    enum bot_clock_note note;
    int rc = bot_clock_init(&chat->clock, chat->cfg.dev.clock_override, getenv("TABELBOT_NOW"),
                            &note, err, err_len);
    if (rc == CORE_OK && note == BOT_CLOCK_IGNORED) {
        LOG_WARN("clock", "msg=\"TABELBOT_NOW ignored: [dev] clock_override is off\"");
    }
    if (rc == CORE_OK) {
        rc = db_open(chat->cfg.database.path, &chat->db);
        if (rc != CORE_OK) {
            snprintf(err, err_len, "database %s: %s", chat->cfg.database.path, core_strerror(rc));
        }
    }
    if (rc == CORE_OK) {
        rc = bot_keystore_open(chat->db, &chat->cfg, &chat->crypto, err, err_len);
    }
    if (rc == CORE_OK) {
        rc = bot_conversation_check_catalogs(err, err_len);
    }
    if (rc == CORE_OK) {
        rc = bot_code_sink_from_config(&chat->cfg, stdout, &chat->sink);
    }
    return rc;
}

static int start_flow(struct chat *chat, char *err, size_t err_len)
{
    if (uv_loop_init(&chat->loop) != 0) {
        snprintf(err, err_len, "cannot start the event loop");
        return CORE_EIO;
    }
    chat->loop_ready = true;
    bot_conversation_init(&chat->conversation, chat->db, chat->crypto, &chat->cfg, &chat->sink);
    int rc =
        bot_inbox_new(&chat->loop, chat->db, chat->crypto, &chat->clock, NULL, NULL, &chat->inbox);
    struct bot_outbox_deps deps = {
        .loop = &chat->loop, .db = chat->db, .crypto = chat->crypto, .cfg = &chat->cfg};
    if (rc == CORE_OK) {
        bot_inbox_set_handler(chat->inbox, bot_conversation_handle_row, &chat->conversation);
        bot_inbox_set_giveup(chat->inbox, bot_conversation_apologize_row, &chat->conversation);
        rc = bot_outbox_open(&deps, &chat->outbox);
    }
    struct bot_outbox_sender terminal = {.channel = "console", .deliver_local = print_reply};
    if (rc == CORE_OK) {
        rc = bot_outbox_register(chat->outbox, &terminal);
    }
    if (rc == CORE_OK) {
        rc = bot_outbox_start(chat->outbox);
    }
    if (rc != CORE_OK) {
        snprintf(err, err_len, "cannot start: %s", core_strerror(rc));
        return rc;
    }
    chat->conversation.outbox = chat->outbox;
    unsigned char tag[8];
    for (size_t i = 0; i < sizeof tag; i++) {
        tag[i] = (unsigned char)bot_crypto_random_below(256);
    }
    bot_crypto_hex(tag, sizeof tag, chat->session_tag);
    return CORE_OK;
}

static void close_parts(struct chat *chat)
{
    if (chat->loop_ready) {
        bot_inbox_close(chat->inbox);
        bot_outbox_close(chat->outbox);
        uv_run(&chat->loop, UV_RUN_DEFAULT);
        if (uv_loop_close(&chat->loop) != 0) {
            LOG_WARN("loop_close", "msg=\"handles left open\"");
        }
    }
    db_close(chat->db);
    bot_crypto_close(chat->crypto);
    bot_config_wipe(&chat->cfg);
}

/* ---- one typed line ---- */

static int store_line(struct chat *chat, const char *line)
{
    char payload[CHAT_LINE_MAX + 64];
    int len = bot_conversation_console_payload(chat->user, line, payload, sizeof payload);
    if (len < 0) {
        return len;
    }
    char external_id[64];
    snprintf(external_id, sizeof external_id, "term-%s-%lu", chat->session_tag, ++chat->seq);
    unsigned char chat_hash[BOT_HASH_BYTES];
    bot_inbox_chat_hash(chat->crypto, "console", chat->user, chat_hash);
    unsigned char *sealed = NULL;
    size_t sealed_len = 0;
    int rc = bot_crypto_seal(chat->crypto, payload, (size_t)len, "inbox.payload_enc", &sealed,
                             &sealed_len);
    if (rc == CORE_OK) {
        rc = db_inbox_insert(chat->db, "console", external_id, chat_hash, sizeof chat_hash, sealed,
                             sealed_len, bot_clock_now_s(&chat->clock), NULL);
    }
    free(sealed);
    return rc;
}

/* Processes what is in the inbox and turns the loop until the outbox has nothing due. */
static int settle(struct chat *chat)
{
    size_t processed = 0;
    do {
        int rc = bot_inbox_run_once(chat->inbox, &processed);
        if (rc != CORE_OK) {
            return rc;
        }
    } while (processed > 0);
    for (int turn = 0; turn < 2000; turn++) {
        bot_outbox_kick(chat->outbox);
        uv_run(&chat->loop, UV_RUN_NOWAIT);
        int64_t depth = 0;
        if (db_outbox_depth(chat->db, &depth) != CORE_OK || depth == 0) {
            return CORE_OK;
        }
        usleep(1000);
    }
    return CORE_ETIMEOUT;
}

/* Reads one line; false at end of input. A line longer than the buffer is read to its end and
 * reported through *too_long (nothing of it is sent: half a message would be worse). */
static bool read_line(char *line, size_t cap, bool *too_long)
{
    *too_long = false;
    if (!fgets(line, (int)cap, stdin)) {
        return false;
    }
    size_t len = strlen(line);
    if (len == cap - 1 && line[len - 1] != '\n') {
        int c;
        do {
            c = getchar();
        } while (c != '\n' && c != EOF);
        *too_long = true;
    }
    line[strcspn(line, "\r\n")] = '\0';
    return true;
}

/* A line the terminal channel cannot carry gets an answer here, as a channel would. */
static bool line_is_sendable(const char *line, bool too_long)
{
    bool ok = false;
    if (too_long) {
        printf("\n(tabelbot chat: that line is longer than %d bytes and was not sent)\n",
               CHAT_LINE_MAX - 1);
    } else if (!ad_utf8_valid(line, strlen(line))) {
        printf("\n(tabelbot chat: that line is not valid UTF-8 and was not sent; check the "
               "terminal's encoding)\n");
    } else {
        ok = true;
    }
    fflush(stdout);
    return ok;
}

static int converse(struct chat *chat, bool send_start)
{
    bool tty = isatty(STDIN_FILENO);
    char line[CHAT_LINE_MAX];
    if (send_start && (store_line(chat, "/start") != CORE_OK || settle(chat) != CORE_OK)) {
        return 1;
    }
    for (;;) {
        if (tty) {
            fputs("> ", stdout);
            fflush(stdout);
        }
        bool too_long = false;
        if (!read_line(line, sizeof line, &too_long)) {
            return 0;
        }
        if (!tty) {
            printf("> %s\n", line); /* a scripted session reads like a transcript */
        }
        if (!line_is_sendable(line, too_long)) {
            continue;
        }
        int rc = store_line(chat, line);
        if (rc == CORE_OK) {
            rc = settle(chat);
        }
        if (rc != CORE_OK) {
            fprintf(stderr, "tabelbot chat: %s\n", core_strerror(rc));
            return 1;
        }
    }
}

int bot_cmd_chat(int argc, char **argv)
{
    struct chat_args args;
    int usage_rc = parse_args(argc, argv, &args);
    if (usage_rc != 0) {
        return usage_rc;
    }
    struct chat *chat = calloc(1, sizeof *chat);
    if (!chat) {
        fprintf(stderr, "tabelbot chat: out of memory\n");
        return 1;
    }
    chat->user = args.user;
    char err[512] = "";
    int rc = bot_config_load(args.config_path, environ, &chat->cfg, err, sizeof err);
    if (rc != CORE_OK) {
        fprintf(stderr, "tabelbot chat: config: %s\n", err);
        free(chat);
        return 1;
    }
    enum core_log_level level = CORE_LOG_WARN;
    core_log_set_level(level); /* the terminal is the parent's screen: only problems */
    rc = open_parts(chat, err, sizeof err);
    if (rc == CORE_OK) {
        rc = start_flow(chat, err, sizeof err);
    }
    int exit_code = 1;
    if (rc == CORE_OK) {
        exit_code = converse(chat, args.send_start);
    } else {
        fprintf(stderr, "tabelbot chat: %s\n", err[0] ? err : core_strerror(rc));
    }
    close_parts(chat);
    free(chat);
    return exit_code;
}
