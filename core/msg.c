/* SPDX-License-Identifier: MIT
 * Names of the channels. */
#include "msg.h"

#include <string.h>

static const char *const channel_names[CORE_CH_COUNT] = {"console", "telegram", "whatsapp", "sms",
                                                         "webchat"};

const char *core_channel_name(enum core_channel channel)
{
    if ((int)channel < 0 || channel >= CORE_CH_COUNT) {
        return NULL;
    }
    return channel_names[channel];
}

int core_channel_parse(const char *name)
{
    for (int i = 0; name && i < CORE_CH_COUNT; i++) {
        if (strcmp(name, channel_names[i]) == 0) {
            return i;
        }
    }
    return -1;
}
