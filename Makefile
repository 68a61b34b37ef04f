# SPDX-License-Identifier: GPL-2.0
#
# The user's wrapper around kbuild and the project's scripts. The kbuild
# side lives in Kbuild.

KDIR ?= $(shell scripts/kdir.sh)
MODULE := portsel.ko

.PHONY: all module module-w1 clean check vmtest kunit compare bench \
	style sparse shellcheck deps

all: module

deps:
	@scripts/deps.sh

module:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

# The module built with W=1; any compiler warning fails.
module-w1:
	@scripts/build-w1.sh "$(KDIR)"

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean

# Everything a contributor keeps green; ends with "N passed, N failed".
check:
	@scripts/check.sh

vmtest: module
	@scripts/vmtest.sh

kunit:
	@scripts/kunit.sh $(if $(FILTER),--filter '$(FILTER)')

compare:
	@scripts/compare.sh $(ARGS)

bench:
	@scripts/bench.sh $(ARGS)
