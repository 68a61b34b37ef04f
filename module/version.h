/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _PORTSEL_VERSION_H
#define _PORTSEL_VERSION_H

/* The one place the version is written; dkms.conf and the .deb read it. */
#define PORTSEL_VERSION "0.1.0"

#endif /* _PORTSEL_VERSION_H */
