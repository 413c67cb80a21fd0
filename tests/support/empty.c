/* SPDX-License-Identifier: MIT
 * Keeps the test-support library non-empty before any helper lands. */
int tb_testsupport_present(void);
int tb_testsupport_present(void)
{
    return 1;
}
