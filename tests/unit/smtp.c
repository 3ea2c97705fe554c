/* SPDX-License-Identifier: GPL-2.0-or-later */
/* dotstuff.c - placeholder, replaced below */
int main(void) { return 0; }
