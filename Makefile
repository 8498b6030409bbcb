# SPDX-License-Identifier: GPL-2.0
#
# vdfw top-level Makefile.  It holds the configuration targets and wires
# together the fragments of each folder:
#   kernel/kernel.mk   Linux from Debian's linux-source, uapi headers
#   runtime/runtime.mk vdused (static musl) and its device table
#   rootfs/rootfs.mk   the busybox initramfs
#   board/board.mk     defconfigs, the QEMU launch line, make run
#   tests/tests.mk     unit tests, in-guest scenarios, make test / bench
#
# Out-of-tree: everything is built under O= (default output/); the source
# tree is never written to, except by savedefconfig.

SRC := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))
O ?= output
override O := $(abspath $(O))
BUILD := $(O)/build
IMAGES := $(O)/images
CONFIG := $(O)/.config
AUTOCONF_H := $(BUILD)/include/autoconf.h
AUTOCONF_MK := $(BUILD)/include/config/auto.conf
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

ifeq ($(V),1)
Q :=
else
Q := @
MAKEFLAGS += --no-print-directory
endif

# $(call msg,TAG,what) prints a kbuild-style progress line.
msg = printf '  %-9s %s\n' "$(1)" "$(2)"

.DEFAULT_GOAL := all
.DELETE_ON_ERROR:
.SUFFIXES:

# Targets that only touch the configuration must not need one.
CONFIG_TARGETS := %_defconfig menuconfig nconfig oldconfig olddefconfig \
	savedefconfig list-defconfigs help deps clean distclean
NEEDS_CONFIG := $(if $(MAKECMDGOALS),$(filter-out $(CONFIG_TARGETS),$(MAKECMDGOALS)),all)

ifneq ($(NEEDS_CONFIG),)
include $(AUTOCONF_MK)
endif

# kconfig's bool/string values arrive quoted; strip the quotes.
unquote = $(patsubst "%",%,$(1))
BOARD := $(or $(call unquote,$(CONFIG_VDFW_BOARD)),qemu-x86_64)
BOARD_DIR := $(SRC)/board/$(BOARD)

# Debian packages each fragment needs; `make deps` installs the union.
DEPS_PKGS := make gcc libc6-dev kconfig-frontends python3

include $(SRC)/board/board.mk
include $(SRC)/kernel/kernel.mk
include $(SRC)/runtime/runtime.mk
include $(SRC)/rootfs/rootfs.mk
include $(SRC)/tests/tests.mk

all: $(IMAGES)/bzImage $(IMAGES)/rootfs.cpio.gz
	@$(call msg,IMAGE,$(IMAGES): kernel $$(stat -c %s $(IMAGES)/bzImage) B$(comma) initramfs $$(stat -c %s $(IMAGES)/rootfs.cpio.gz) B)
comma := ,

#
# Configuration (kconfig-frontends).  The per-device menus are expanded
# from templates into the build tree, then sourced by runtime/Kconfig.
#
KCONFIG_ENV := cd $(SRC) && srctree=$(SRC) VDFW_BUILD_DIR=$(BUILD) KCONFIG_CONFIG=$(CONFIG)
DEVICE_KCONFIG := $(BUILD)/Kconfig.devices
DEVICE_KCONFIG_IN := $(wildcard $(SRC)/runtime/devtable/Kconfig.*.in)
KCONFIG_FILES := $(shell find $(SRC) -name Kconfig -not -path '$(O)/*') \
	$(DEVICE_KCONFIG)

$(DEVICE_KCONFIG): $(DEVICE_KCONFIG_IN)
	$(Q)mkdir -p $(@D)
	$(Q)for t in $^; do for n in 0 1 2 3 4 5 6 7; do \
		sed "s/@N@/$$n/g" $$t; done; done > $@.tmp && mv $@.tmp $@

DEFCONFIG_BOARDS := $(notdir $(patsubst %/defconfig,%,$(wildcard $(SRC)/board/*/defconfig)))
DEFCONFIGS := $(subst -,_,$(addsuffix _defconfig,$(DEFCONFIG_BOARDS)))

%_defconfig: $(DEVICE_KCONFIG)
	$(Q)b='$(firstword $(foreach b,$(DEFCONFIG_BOARDS),$(if $(filter $*,$(subst -,_,$(b))),$(b))))'; \
	if [ -z "$$b" ]; then echo "No board for $@; see make list-defconfigs" >&2; exit 1; fi; \
	f=$(SRC)/board/$$b/defconfig; \
	mkdir -p $(O); $(KCONFIG_ENV) kconfig-conf --defconfig=$$f Kconfig >/dev/null
	@$(call msg,CONFIG,$(CONFIG) from $*)

menuconfig: $(DEVICE_KCONFIG)
	$(Q)$(KCONFIG_ENV) kconfig-mconf Kconfig

nconfig: $(DEVICE_KCONFIG)
	$(Q)$(KCONFIG_ENV) kconfig-nconf Kconfig

oldconfig: $(DEVICE_KCONFIG)
	$(Q)$(KCONFIG_ENV) kconfig-conf --oldconfig Kconfig

olddefconfig: $(DEVICE_KCONFIG)
	$(Q)$(KCONFIG_ENV) kconfig-conf --olddefconfig Kconfig >/dev/null

# Writes a minimal defconfig back to the board it came from, as Buildroot
# does; DEFCONFIG=path writes elsewhere.
savedefconfig: $(DEVICE_KCONFIG)
	$(Q)test -f $(CONFIG) || { echo "No $(CONFIG): run make <board>_defconfig first" >&2; exit 1; }
	$(Q)b=$$(sed -n 's/^CONFIG_VDFW_BOARD="\(.*\)"/\1/p' $(CONFIG)); \
	out=$${DEFCONFIG:-$(SRC)/board/$$b/defconfig}; \
	$(KCONFIG_ENV) kconfig-conf --savedefconfig=$$out Kconfig && \
	$(call msg,SAVE,$$out)

list-defconfigs:
	@echo "Board defconfigs (board/<name>/defconfig):"
	@for d in $(DEFCONFIGS); do echo "  $$d"; done

# No .config yet: take the first board's defconfig, so that `make run` and
# `make test` work on a fresh clone.
$(CONFIG):
	@$(call msg,CONFIG,no $(CONFIG): using qemu_x86_64_defconfig)
	$(Q)$(MAKE) -f $(SRC)/Makefile O=$(O) qemu_x86_64_defconfig

# autoconf.h and auto.conf follow .config; kconfig writes them only when
# something changed, so dependants rebuild only then.
$(AUTOCONF_MK): $(CONFIG) $(KCONFIG_FILES)
	$(Q)mkdir -p $(BUILD)/include/config
	$(Q)$(KCONFIG_ENV) kconfig-conf --olddefconfig Kconfig >/dev/null
	$(Q)cd $(BUILD) && srctree=$(SRC) VDFW_BUILD_DIR=$(BUILD) KCONFIG_CONFIG=$(CONFIG) \
		KCONFIG_AUTOHEADER=$(AUTOCONF_H) \
		kconfig-conf --silentoldconfig $(SRC)/Kconfig >/dev/null
	$(Q)touch $@
$(AUTOCONF_H): $(AUTOCONF_MK)

#
# Debian packages.  As root: apt-get install what is missing.  Otherwise
# print the exact command and stop.
#
deps:
	$(Q)missing=$$(for p in $(sort $(DEPS_PKGS)); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -z "$$missing" ]; then exit 0; fi; \
	missing=$$(echo $$missing); \
	if [ "$$(id -u)" != 0 ]; then \
		echo "Missing Debian packages. Run:"; \
		echo "  sudo apt-get install -y --no-install-recommends $$missing"; exit 1; fi; \
	$(call msg,APT,$$missing); \
	export DEBIAN_FRONTEND=noninteractive; \
	apt-get install -y -q --no-install-recommends $$missing >$(O).apt.log 2>&1 || \
	{ apt-get update -q >>$(O).apt.log 2>&1 && \
	  apt-get install -y -q --no-install-recommends $$missing >>$(O).apt.log 2>&1; } || \
	{ tail -20 $(O).apt.log; echo "apt-get failed; log in $(O).apt.log" >&2; exit 1; }

clean:
	$(Q)rm -rf $(BUILD)/runtime $(BUILD)/rootfs $(BUILD)/tests $(IMAGES)

distclean:
	$(Q)rm -rf $(O)

help:
	@echo 'vdfw: a firmware-style runtime for userspace virtio devices (VDUSE)'
	@echo
	@echo 'Start here:'
	@echo '  run                 - build the image and boot it in QEMU (serial console)'
	@echo '  test                - everything CI checks: unit tests + in-guest scenarios'
	@echo '  bench               - vdused against its peers in one boot (output/bench/)'
	@echo
	@echo 'Configuration:'
	@echo '  <board>_defconfig   - new .config from board/<board>/defconfig'
	@echo '  list-defconfigs     - list the boards'
	@echo '  menuconfig          - interactive configuration (nconfig also works)'
	@echo '  oldconfig           - update .config, asking about new options'
	@echo '  olddefconfig        - update .config, new options at their defaults'
	@echo '  savedefconfig       - write a minimal defconfig back to the board (DEFCONFIG=path to redirect)'
	@echo
	@echo 'Build:'
	@echo '  all                 - kernel, vdused and initramfs into $$(O)/images (default)'
	@echo '  kernel              - just the kernel (and its uapi headers)'
	@echo '  kernel-menuconfig   - configure the kernel by hand (not saved to fragments)'
	@echo '  vdused              - just the daemon'
	@echo '  rootfs              - just the initramfs'
	@echo '  deps                - install the Debian packages the build needs'
	@echo
	@echo 'Tests:'
	@echo '  unit-tests          - host unit tests of runtime/ (ASan + UBSan)'
	@echo '  qemu-tests          - boot the image and run tests/qemu/ scenarios'
	@echo '  fuzz                - build and briefly run the fuzz targets (clang)'
	@echo '  bench-smoke         - one short bench boot: every device measured, no speed asserted'
	@echo
	@echo 'Cleaning:'
	@echo '  clean               - remove vdused, rootfs and images (keeps the kernel build)'
	@echo '  distclean           - remove $$(O) entirely'
	@echo
	@echo 'Variables: O=dir (default output/)  V=1 (show commands)  ACCEL=kvm (run/test/bench)'
	@echo '           JOBS=n (kernel build parallelism, default: all CPUs)'

.PHONY: all menuconfig nconfig oldconfig olddefconfig savedefconfig list-defconfigs \
	deps clean distclean help
