# SPDX-License-Identifier: GPL-2.0
#
# The user's wrapper around kbuild and the project's scripts. The kbuild
# side lives in Kbuild.

# scripts/ is not shipped in the DKMS source: fall back to the running kernel.
KDIR ?= $(shell scripts/kdir.sh 2>/dev/null || echo /lib/modules/$$(uname -r)/build)
MODULE := portsel.ko

.PHONY: all module module-w1 clean check matrix vmtest debugtest kunit compare bench \
	style sparse shellcheck report-test deps targets

all: module

deps:
	@scripts/deps.sh

# TARGET=NAME (a row of scripts/targets; make targets lists them) builds
# for that target's kernel into the cache instead and says where.
module:
ifdef TARGET
	@scripts/targets.sh build '$(TARGET)'
else
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules
endif

targets:
	@scripts/targets.sh list

# The module built with W=1; any compiler warning fails.
module-w1:
	@scripts/build-w1.sh "$(KDIR)"

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean

# Everything a contributor keeps green; ends with "N passed, N failed".
check:
	@scripts/check.sh

# What make check leaves out for time: every VM case on every target and
# the system test on each Debian it supports (hours under TCG).
matrix: deps
	@scripts/matrix.sh $(ARGS)

# The target make vmtest builds portsel for (in a scratch copy:
# ./portsel.ko is left alone) and boots: a row of scripts/targets. Its
# kernel is installed (Debian 12's own) or fetched into the cache.
# FLAVOUR=F is the older name of TARGET=bookworm-F. ARGS: more options
# of scripts/vmtest.sh (--core, --case NAME, ...).
FLAVOUR ?= amd64

vmtest:
	@scripts/vmtest.sh --target '$(or $(TARGET),bookworm-$(FLAVOUR))' $(ARGS)

# The vmtest cases on a lockdep + KASAN debug kernel built from Debian's
# linux-source-6.1 (cached; the first build is long); ARGS=--kcsan on a
# lockdep + KCSAN one. ARGS=--self-check shows that a deliberate bug
# fails it. TARGET=NAME (an amd64 row of scripts/targets; FLAVOUR=F
# means bookworm-F) stands the kernel in for that row's: Debian 13's
# linux-source-6.12 with the row's compiler for a 6.12 row, PREEMPT_RT
# besides for trixie-rt-amd64.
debugtest:
	@scripts/debugtest.sh --target '$(or $(TARGET),bookworm-$(FLAVOUR))' $(ARGS)

kunit:
	@scripts/kunit.sh $(if $(FILTER),--filter '$(FILTER)')

# TARGET=NAME (a row of scripts/targets) boots that target's kernel with
# portsel built for it in a scratch copy, results in results/NAME/;
# without it, ./portsel.ko and KDIR's kernel (bookworm-amd64 on Debian 12),
# results in results/.
compare:
	@scripts/compare.sh $(if $(TARGET),--target '$(TARGET)') $(ARGS)

bench:
	@scripts/bench.sh $(if $(TARGET),--target '$(TARGET)') $(ARGS)

# --- packaging and static gates ---------------------------------------------

# The version is written once, in module/version.h.
VERSION = $(shell scripts/version.sh)
# The release (uname -r) of KDIR's kernel, where install and dkms put the
# module. Debian's headers name it only in utsrelease.h.
KVER = $(shell sed -n 's/.*UTS_RELEASE "\(.*\)"$$/\1/p' \
	$(KDIR)/include/generated/utsrelease.h 2>/dev/null)
DKMS ?= dkms
DKMS_SOURCE_TREE ?= /usr/src
# More dkms options, e.g. --dkmstree/--sourcetree/--installtree for a
# scratch install (scripts/package-test.sh does that).
DKMS_FLAGS ?=
# Where make deb leaves the .deb.
DEB_DIR ?= results

need-version = @test -n "$(VERSION)" || { \
	echo "make: no version in module/version.h" >&2; exit 1; }
need-kver = @test -n "$(KVER)" || { \
	echo "make: no kernel release in $(KDIR)/include/generated/utsrelease.h" >&2; \
	exit 1; }

.PHONY: version install uninstall dkms-install dkms-remove deb package-test \
	systemtest

version:
	@scripts/version.sh

# portsel.ko into <INSTALL_MOD_PATH>/lib/modules/<KVER>/updates, then that
# kernel's module index (kbuild skips depmod without a System.map). With
# Debian's headers, kbuild's attempt to sign with the kernel's own key
# fails loudly and harmlessly: that key is not shipped.
install: module
	$(need-kver)
	$(MAKE) -C $(KDIR) M=$(CURDIR) KERNELRELEASE=$(KVER) \
		INSTALL_MOD_DIR=updates modules_install
	depmod $(if $(INSTALL_MOD_PATH),-b $(INSTALL_MOD_PATH)) $(KVER)

uninstall:
	$(need-kver)
	rm -f $(INSTALL_MOD_PATH)/lib/modules/$(KVER)/updates/portsel.ko
	depmod $(if $(INSTALL_MOD_PATH),-b $(INSTALL_MOD_PATH)) $(KVER)

# Sources to <DKMS_SOURCE_TREE>/portsel-<version>, then dkms add, build
# and install for KDIR's kernel. A registration of the same version is
# removed first, so this can be run again after a change.
dkms-install:
	$(need-version)
	$(need-kver)
	@if [ -n "$$($(DKMS) status $(DKMS_FLAGS) -m portsel -v $(VERSION))" ]; then \
		$(DKMS) remove $(DKMS_FLAGS) -m portsel -v $(VERSION) --all; \
	fi
	rm -rf "$(DKMS_SOURCE_TREE)/portsel-$(VERSION)"
	scripts/dkms-source.sh "$(DKMS_SOURCE_TREE)/portsel-$(VERSION)"
	$(DKMS) add $(DKMS_FLAGS) -m portsel -v $(VERSION)
	$(DKMS) build $(DKMS_FLAGS) -m portsel -v $(VERSION) -k $(KVER)
	$(DKMS) install $(DKMS_FLAGS) -m portsel -v $(VERSION) -k $(KVER)

# This version from every kernel, and its sources.
dkms-remove:
	$(need-version)
	@if [ -n "$$($(DKMS) status $(DKMS_FLAGS) -m portsel -v $(VERSION))" ]; then \
		$(DKMS) remove $(DKMS_FLAGS) -m portsel -v $(VERSION) --all; \
	fi
	rm -rf "$(DKMS_SOURCE_TREE)/portsel-$(VERSION)"

# portsel-dkms_<version>_all.deb into DEB_DIR, built in a scratch copy.
deb:
	@scripts/deb.sh "$(DEB_DIR)"

style:
	@scripts/style.sh

sparse:
	@scripts/sparse.sh "$(KDIR)"

shellcheck:
	@scripts/shellcheck.sh

# The unit tests of scripts/report.py, the analysis of compare and bench.
report-test:
	@scripts/report-test.sh

package-test:
	@scripts/package-test.sh "$(KDIR)"

# The .deb installed, rebooted, removed and purged in a booted Debian of
# the TARGET's suite (default bookworm-amd64; FLAVOUR=F means
# bookworm-F) under qemu (TCG); the root fs is cached. ARGS: e.g. --keep,
# --secure-boot (the same under UEFI Secure Boot: shim, grub, Debian's
# signed kernel, DKMS's key refused, then enrolled).
systemtest: deps
	@scripts/systemtest.sh --target '$(or $(TARGET),bookworm-$(FLAVOUR))' $(ARGS)
