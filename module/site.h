/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Where a traceable function's ftrace site lies, read from its first
 * instructions. Pure functions of the bytes, for every architecture the
 * hook supports, so that the KUnit suite (UML, which has no ftrace)
 * checks each layout whatever it runs on; hook.c picks its own.
 */
#ifndef _PORTSEL_SITE_H
#define _PORTSEL_SITE_H

#include <linux/types.h>

/* The bytes to read from a function's start: the most any layout needs. */
#define PORTSEL_SITE_PEEK	9

/**
 * struct portsel_site - a traceable function's first instructions
 * @site: offset of its ftrace site, the address of ftrace's record and
 *        the ip its callbacks are given
 * @entry: offset at which the function runs as if it were not traced
 */
struct portsel_site {
	unsigned int site;
	unsigned int entry;
};

int portsel_site_x86_64(const u8 *text, bool ibt, struct portsel_site *s);
int portsel_site_arm64(const u8 *text, struct portsel_site *s);

#endif /* _PORTSEL_SITE_H */
