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
# Keep every intermediate (objects of the static pattern rules below).
.SECONDARY:

#
# $(eval $(call compile-rule,OBJDIR,SRCDIR,CC,CFLAGS,TAG)): the one way C
# is compiled here, for every flavour (the musl daemon and its variants,
# the unit tests, the fuzz targets, the guest tools): OBJDIR/x.o from
# SRCDIR/x.c with the compiler and flags named by the variables CC and
# CFLAGS.  -MMD -MP records the headers each object read; DEP_FILES
# collects them for the -include at the end of this file.  The generated
# headers and the kernel's uapi headers (-isystem, so not in the .d files)
# come first.
#
GENERATED_HEADERS = $(AUTOCONF_H) $(BUILD)/include/vdfw_version.h \
	$(BUILD)/include/devtable_gen.h
define compile-rule
$(1)/%.o: $(2)/%.c $$(KERNEL_HDR)/.installed | $$(GENERATED_HEADERS)
	$$(Q)mkdir -p $$(@D)
	@$$(call msg,$(5),$$(patsubst $$(SRC)/%,%,$$(patsubst $$(BUILD)/%,%,$$<)))
	$$(Q)$$($(3)) $$($(4)) -MMD -MP -c -o $$@ $$<
endef
# $(call objs-of,OBJDIR,SRCDIR,SOURCES): the objects of SOURCES (under SRCDIR).
objs-of = $(patsubst $(2)/%.c,$(1)/%.o,$(3))

# Targets that only touch the configuration must not need one, and the
# few that run nothing from a package must not need the packages.
CONFIG_TARGETS := %_defconfig menuconfig nconfig oldconfig olddefconfig \
	savedefconfig list-defconfigs help deps clean distclean
NO_DEPS_TARGETS := list-defconfigs help clean distclean
GOALS := $(or $(MAKECMDGOALS),all)
NEEDS_CONFIG := $(filter-out $(CONFIG_TARGETS),$(GOALS))
NEEDS_DEPS := $(filter-out $(NO_DEPS_TARGETS),$(GOALS))

ifneq ($(NEEDS_CONFIG),)
include $(AUTOCONF_MK)
endif

# kconfig's bool/string values arrive quoted; strip the quotes.
unquote = $(patsubst "%",%,$(1))
BOARD := $(or $(call unquote,$(CONFIG_VDFW_BOARD)),qemu-x86_64)
BOARD_DIR := $(SRC)/board/$(BOARD)

# Debian packages each fragment needs; the union is checked (and, as
# root, installed) at the end of this file, before any rule runs.
DEPS_PKGS := make gcc libc6-dev kconfig-frontends python3 git

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
GEN_DEVTABLE := $(SRC)/runtime/devtable/gen-devtable.py

# The Kconfig files auto.conf was made from, as kconfig itself recorded
# them (paths relative to the source tree, or absolute).
KCONFIG_FILES := $(foreach f,$(shell awk '/^deps_config :=/ { on = 1; next } \
	on && !NF { exit } on { print $$1 }' $(BUILD)/include/config/auto.conf.cmd 2>/dev/null), \
	$(if $(filter /%,$(f)),$(f),$(SRC)/$(f)))

# One writer only: every configuration rule below has it as a
# prerequisite, and the generator writes through a temporary file of its
# own and leaves an unchanged file alone.
$(DEVICE_KCONFIG): $(DEVICE_KCONFIG_IN) $(GEN_DEVTABLE)
	$(Q)python3 $(GEN_DEVTABLE) kconfig $@ $(DEVICE_KCONFIG_IN)

# $(call kconfig-resolve,IN,OUT): OUT is IN completed by kconfig
# (olddefconfig).  kconfig silently clamps an out-of-range value and drops
# an unknown symbol; check-config.py turns either into an error naming the
# symbol, and OUT is written only when IN was accepted.
kconfig-resolve = t=$(2).tmp.$$$$; cp $(1) $$t && \
	$(KCONFIG_ENV) KCONFIG_CONFIG=$$t kconfig-conf --olddefconfig Kconfig >/dev/null && \
	python3 $(SRC)/support/check-config.py $(1) $$t $(SRC)/Kconfig $(BUILD) && \
	mv $$t $(2); rc=$$?; rm -f $$t $$t.old; exit $$rc

DEFCONFIG_BOARDS := $(notdir $(patsubst %/defconfig,%,$(wildcard $(SRC)/board/*/defconfig)))
DEFCONFIGS := $(subst -,_,$(addsuffix _defconfig,$(DEFCONFIG_BOARDS)))
board_of = $(firstword $(foreach b,$(DEFCONFIG_BOARDS),$(if $(filter $(1),$(subst -,_,$(b))),$(b))))

# $(call defconfig,BOARD): a new .config from board/BOARD/defconfig.
defconfig = test -f $(SRC)/board/$(1)/defconfig || \
	{ echo "No board for $(1); see make list-defconfigs" >&2; exit 1; }; \
	mkdir -p $(O) && $(call kconfig-resolve,$(SRC)/board/$(1)/defconfig,$(CONFIG))

%_defconfig: $(DEVICE_KCONFIG)
	$(Q)$(call defconfig,$(call board_of,$*))
	@$(call msg,CONFIG,$(CONFIG) from $*)

menuconfig: $(DEVICE_KCONFIG)
	$(Q)$(KCONFIG_ENV) kconfig-mconf Kconfig

nconfig: $(DEVICE_KCONFIG)
	$(Q)$(KCONFIG_ENV) kconfig-nconf Kconfig

oldconfig: $(DEVICE_KCONFIG)
	$(Q)$(KCONFIG_ENV) kconfig-conf --oldconfig Kconfig

olddefconfig: $(DEVICE_KCONFIG)
	$(Q)test -f $(CONFIG) || { echo "No $(CONFIG): run make <board>_defconfig first" >&2; exit 1; }
	$(Q)$(call kconfig-resolve,$(CONFIG),$(CONFIG))

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
$(CONFIG): | $(DEVICE_KCONFIG)
	@$(call msg,CONFIG,no $(CONFIG): using qemu_x86_64_defconfig)
	$(Q)$(call defconfig,qemu-x86_64)

# autoconf.h and auto.conf follow .config; kconfig writes them only when
# something changed, so dependants rebuild only then.  A .config that
# kconfig would change (a value out of range, an unknown symbol) stops
# here and is left as it was.
$(AUTOCONF_MK): $(CONFIG) $(DEVICE_KCONFIG) $(KCONFIG_FILES)
	$(Q)mkdir -p $(BUILD)/include/config
	$(Q)$(call kconfig-resolve,$(CONFIG),$(CONFIG))
	$(Q)cd $(BUILD) && srctree=$(SRC) VDFW_BUILD_DIR=$(BUILD) KCONFIG_CONFIG=$(CONFIG) \
		KCONFIG_AUTOHEADER=$(AUTOCONF_H) \
		kconfig-conf --silentoldconfig $(SRC)/Kconfig >/dev/null
	$(Q)touch $@
$(AUTOCONF_H): $(AUTOCONF_MK)

# Everything generated before the first compile (tests.mk and bench.mk
# add their tables).
prepare: $(AUTOCONF_MK) $(GENERATED_HEADERS) $(DEVTABLE_C)
.PHONY: prepare

#
# Debian packages: checked (as root, installed) while this file is read,
# at its end, so that no rule, not even the remaking of auto.conf that
# `include` triggers, runs before they are there.  `make deps` does just
# that.
#
deps:
	@:

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
	@echo '  prepare             - only the configuration and generated files (no compiling)'
	@echo '  deps                - check (as root: install) the Debian packages the build needs'
	@echo
	@echo 'Tests:'
	@echo '  table-tests         - bad device tables fail the build, naming the symbol'
	@echo '  unit-tests          - host unit tests of runtime/ (ASan + UBSan)'
	@echo '  qemu-tests          - boot the image and run tests/qemu/ scenarios'
	@echo '  fuzz                - build and briefly run the fuzz targets (clang)'
	@echo '  build-tests         - the build system: fresh machine, -j from empty, headers, version'
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

# Header dependencies of every object built so far (compile-rule).
-include $(sort $(DEP_FILES))

# The package check.  DEPS_PKGS is complete only here, after every
# fragment added its own.  A sub-make that inherits VDFW_DEPS_CHECKED with
# the same list skips it.
DEPS_LIST := $(sort $(DEPS_PKGS))
ifneq ($(NEEDS_DEPS),)
ifneq ($(VDFW_DEPS_CHECKED),$(DEPS_LIST))
ifneq ($(shell $(SRC)/support/deps.sh $(O)/deps.log $(DEPS_LIST) >&2; echo $$?),0)
$(error the Debian packages above are missing)
endif
export VDFW_DEPS_CHECKED := $(DEPS_LIST)
endif
endif
