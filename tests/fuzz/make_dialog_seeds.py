#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Writes the seed conversations of fuzz_dialog into corpus/dialog/ (format: README.md,
# "The fuzz_dialog input format"). Word indexes follow the vocabulary in fuzz_dialog.c.
import os

V = {"1": 0, "2": 1, "3": 2, "4": 3, "5": 4, "0": 5, "9": 6, "10": 7, "15": 8, "иә": 9,
     "да": 10, "yes": 11, "меню": 16, "оператор": 18, "стоп": 21, "help": 24,
     "+77010000001": 25, "87020000002": 26, "900514410006": 30, "881122310372": 31,
     "920303310748": 32, "900514410007": 35, "123456": 36, "12345": 38, "3, 7, 15-17": 40,
     "1-31": 41, "Бала ауырды": 45}


def w(t): return [0, V[t]]
def btn(k): return [3, k]
def contact(i, verified): return [6, i | (0x80 if verified else 0)]
def res(kind, r, extra=0): return [133, kind, r, extra]
def wait(n): return [8, n]


def text(s):
    b = s.encode()
    return [2, len(b)] + list(b)


def head(channel, q):  # channel 0 telegram, 1 sms, 2 whatsapp, 3 console, 4 webchat
    return [channel, q & 0xff, q >> 8]


START = [70]      # op % 9 == 7 with bit 6: "/start"
START_X = [7]     # "/start x-1"
DEC3 = 8 * 96 + 40  # 2026-12-03 10:00 local
REG1 = (START + btn(0) + btn(0) + contact(0, True) + w("900514410006") + res(0, 0) +
        w("123456") + res(1, 0) + btn(0))
CONFIRM = btn(0) + btn(0) + btn(0) + btn(0) + btn(0)
SEEDS = {
    "register_telegram": head(0, DEC3) + REG1,
    "register_then_confirm": head(0, DEC3) + REG1 + CONFIRM + res(2, 0, 7),
    "register_then_dispute": head(0, DEC3) + REG1 + w("1") + w("1") + w("1") + w("2") +
    w("3, 7, 15-17") + w("1") + w("1") + res(2, 0, 1),
    "dispute_free_reason": head(0, DEC3) + REG1 + w("1") + w("1") + w("1") + w("2") +
    w("1-31") + w("5") + text("Бала ауырды, анықтама бар") + w("1") + res(2, 1),
    "register_sms": head(1, DEC3) + w("2") + w("1") + w("+77010000001") + w("900514410006") +
    res(0, 0) + w("123456") + res(1, 0) + w("1"),
    "wrong_iin_then_operator": head(0, DEC3) + START + btn(1) + btn(0) + contact(1, True) +
    w("900514410007") + w("900514410006") + w("оператор"),
    "otp_wrong_then_locked": head(0, DEC3) + REG1[:-4] + res(1, 1, 2) + w("12345") +
    res(1, 3) + res(1, 2),
    "otp_rate_limited": head(0, DEC3) + START + btn(0) + btn(0) + contact(0, True) +
    w("900514410006") + res(0, 1, 60) + res(0, 2),
    "contact_not_own": head(0, DEC3) + START + btn(2) + btn(0) + contact(0, False) +
    contact(5, True),
    "decline_consent": head(0, DEC3) + START + btn(0) + btn(1) + btn(0) + w("стоп"),
    "unknown_three_times": head(2, DEC3) + START + text("hello") + text("???") +
    text("what") + w("0"),
    "idle_timeout": head(0, DEC3) + REG1 + btn(0) + wait(3) + btn(0) + wait(200) + btn(0),
    "outside_window": head(0, 8 * 96 + 11 * 96 + 4) + REG1 + btn(0) + btn(0) + btn(0) + btn(0),
    "before_month_end": head(3, 2 * 96) + REG1 + w("1") + w("1") + w("1"),
    "decide_changed_already_closed": head(0, DEC3) + REG1 + CONFIRM + res(2, 4) + btn(0) +
    btn(0) + res(2, 1) + res(2, 2) + res(2, 3),
    "stale_results": head(4, DEC3) + res(0, 0) + res(1, 0) + res(2, 0) + START_X + res(1, 4),
    "menu_language_unlink": head(0, DEC3) + REG1 + w("меню") + btn(2) + btn(1) + w("меню") +
    btn(5) + btn(0),
    "random_buttons": head(0, DEC3) + START + [5, 7] + list(b"lang:xx") + [5, 10] +
    list(b"child:ch-0") + [5, 3] + list(b"\xd0\x90\xff"),
    "parent2_at_risk": head(0, DEC3) + START + btn(1) + btn(0) + contact(1, True) +
    w("881122310372") + res(0, 0) + w("123456") + res(1, 0) + btn(0) + btn(0) + btn(0),
    "empty_program": [],
}

if __name__ == "__main__":
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "dialog")
    os.makedirs(out, exist_ok=True)
    for name, prog in SEEDS.items():
        with open(os.path.join(out, name + ".bin"), "wb") as f:
            f.write(bytes(prog))
