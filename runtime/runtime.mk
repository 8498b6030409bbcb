# SPDX-License-Identifier: GPL-2.0
#
# vdused: a static musl binary built against the kernel's uapi headers.
# The device table is generated from .config by devtable/gen-devtable.py.

RUNTIME_OBJ := $(BUILD)/runtime
VDUSED := $(RUNTIME_OBJ)/vdused
DEVTABLE_C := $(RUNTIME_OBJ)/devtable.c
VDFW_VERSION := $(shell cd $(SRC) && git describe --always --dirty 2>/dev/null || echo unknown)

# Every runtime source except the generated table; tests reuse this list.
RUNTIME_SRCS := $(shell cd $(SRC) && find runtime -name '*.c' | sort)
RUNTIME_LIB_SRCS := $(filter-out runtime/main.c,$(RUNTIME_SRCS))
VDUSED_OBJS := $(patsubst runtime/%.c,$(RUNTIME_OBJ)/%.o,$(RUNTIME_SRCS)) \
	$(RUNTIME_OBJ)/devtable.o

# Shared by the musl build and the host unit-test build.
RUNTIME_WARN := -Wall -Wextra -Werror -Wno-unused-parameter -D_GNU_SOURCE
RUNTIME_INC := -isystem $(KERNEL_HDR)/include -I$(BUILD)/include -I$(SRC)/runtime
VDUSED_CC := musl-gcc
VDUSED_CFLAGS := -std=gnu11 -Os -static $(RUNTIME_WARN) $(RUNTIME_INC) \
	-ffunction-sections -fdata-sections -fno-asynchronous-unwind-tables \
	-DVDFW_VERSION='"$(VDFW_VERSION)"'
VDUSED_LDFLAGS := -static -s -Wl,--gc-sections

DEPS_PKGS += musl-tools

$(DEVTABLE_C): $(SRC)/runtime/devtable/gen-devtable.py $(AUTOCONF_MK)
	$(Q)mkdir -p $(@D)
	@$(call msg,GEN,devtable.c)
	$(Q)python3 $< $(CONFIG) $@

$(RUNTIME_OBJ)/%.o: $(SRC)/runtime/%.c $(AUTOCONF_H) $(KERNEL_HDR)/.installed
	$(Q)mkdir -p $(@D)
	@$(call msg,CC,runtime/$*.c)
	$(Q)$(VDUSED_CC) $(VDUSED_CFLAGS) -MMD -MP -c -o $@ $<

$(RUNTIME_OBJ)/devtable.o: $(DEVTABLE_C) $(AUTOCONF_H) $(KERNEL_HDR)/.installed
	@$(call msg,CC,devtable.c)
	$(Q)$(VDUSED_CC) $(VDUSED_CFLAGS) -MMD -MP -c -o $@ $<

$(VDUSED): $(VDUSED_OBJS)
	@$(call msg,LD,vdused)
	$(Q)$(VDUSED_CC) $(VDUSED_LDFLAGS) -o $@ $^
	@$(call msg,SIZE,vdused $$(stat -c %s $@) bytes (static$(comma) stripped))

vdused: $(VDUSED)

#
# vdused-variant LABEL,DIR,FRAGMENT: DIR/vdused, the daemon's own objects
# linked with a table made from the board's .config plus FRAGMENT (extra
# devices for the guest tests or the bench), so the product image keeps
# exactly the board's table.  Use with $(eval $(call vdused-variant,...)).
#
define vdused-variant
$(2)/.config: $$(CONFIG) $(3) $$(AUTOCONF_MK)
	$$(Q)mkdir -p $$(@D)
	$$(Q)cat $$(CONFIG) $(3) > $$@
	$$(Q)$$(KCONFIG_ENV) KCONFIG_CONFIG=$$@ kconfig-conf --olddefconfig Kconfig >/dev/null

$(2)/devtable.c: $(2)/.config $$(SRC)/runtime/devtable/gen-devtable.py
	@$$(call msg,GEN,$(1) devtable.c)
	$$(Q)python3 $$(SRC)/runtime/devtable/gen-devtable.py $$< $$@

$(2)/devtable.o: $(2)/devtable.c $$(AUTOCONF_H) $$(KERNEL_HDR)/.installed
	$$(Q)$$(VDUSED_CC) $$(VDUSED_CFLAGS) -c -o $$@ $$<

$(2)/vdused: $$(filter-out $$(RUNTIME_OBJ)/devtable.o,$$(VDUSED_OBJS)) $(2)/devtable.o
	@$$(call msg,LD,$(1) vdused)
	$$(Q)$$(VDUSED_CC) $$(VDUSED_LDFLAGS) -o $$@ $$^
endef

-include $(VDUSED_OBJS:.o=.d)

.PHONY: vdused

# Just the generated table (the build checks use it to test bad tables).
devtable: $(DEVTABLE_C)
.PHONY: devtable
