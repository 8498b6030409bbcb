# SPDX-License-Identifier: GPL-2.0
#
# vdused: a static musl binary built against the kernel's uapi headers.
# The device table is generated from .config by devtable/gen-devtable.py.

RUNTIME_OBJ := $(BUILD)/runtime
VDUSED := $(RUNTIME_OBJ)/vdused
DEVTABLE_C := $(RUNTIME_OBJ)/gen/devtable.c
VDFW_VERSION := $(shell cd $(SRC) && git describe --always --dirty 2>/dev/null || echo unknown)

# Every runtime source except the generated table; tests reuse this list.
RUNTIME_SRCS := $(shell find $(SRC)/runtime -name '*.c' | sort)
RUNTIME_LIB_SRCS := $(filter-out $(SRC)/runtime/daemon/main.c,$(RUNTIME_SRCS))
RUNTIME_OBJS := $(call objs-of,$(RUNTIME_OBJ),$(SRC)/runtime,$(RUNTIME_SRCS))
VDUSED_OBJS := $(RUNTIME_OBJS) $(DEVTABLE_C:.c=.o)

# Shared by the musl build and the host unit-test build.
RUNTIME_WARN := -Wall -Wextra -Werror -Wno-unused-parameter -D_GNU_SOURCE
RUNTIME_INC := -isystem $(KERNEL_HDR)/include -I$(BUILD)/include -I$(SRC)/runtime
VDUSED_CC := musl-gcc
VDUSED_CFLAGS := -std=gnu11 -Os -static $(RUNTIME_WARN) $(RUNTIME_INC) \
	-ffunction-sections -fdata-sections -fno-asynchronous-unwind-tables
VDUSED_LDFLAGS := -static -s -Wl,--gc-sections

DEPS_PKGS += musl-tools

$(eval $(call compile-rule,$(RUNTIME_OBJ),$(SRC)/runtime,VDUSED_CC,VDUSED_CFLAGS,CC))
$(eval $(call compile-rule,$(RUNTIME_OBJ)/gen,$(RUNTIME_OBJ)/gen,VDUSED_CC,VDUSED_CFLAGS,CC))
DEP_FILES += $(VDUSED_OBJS:.o=.d)

# The version follows the commit: the header is rewritten whenever make
# runs, but replaced only when `git describe` says something new, so only
# what includes it rebuilds, and only then.
$(BUILD)/include/vdfw_version.h: FORCE
	$(Q)mkdir -p $(@D)
	$(Q)t=$@.tmp.$$$$; echo '#define VDFW_VERSION "$(VDFW_VERSION)"' > $$t; \
	if cmp -s $$t $@; then rm -f $$t; else mv $$t $@; $(call msg,GEN,vdfw_version.h $(VDFW_VERSION)); fi

$(BUILD)/include/devtable_gen.h: $(GEN_DEVTABLE)
	$(Q)mkdir -p $(@D)
	$(Q)python3 $(GEN_DEVTABLE) header $@

$(DEVTABLE_C): $(GEN_DEVTABLE) $(AUTOCONF_MK)
	$(Q)mkdir -p $(@D)
	@$(call msg,GEN,devtable.c)
	$(Q)python3 $(GEN_DEVTABLE) $(CONFIG) $@

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
	$$(Q)cat $$(CONFIG) $(3) > $$@.in
	$$(Q)$$(call kconfig-resolve,$$@.in,$$@)

$(2)/devtable.c: $(2)/.config $$(GEN_DEVTABLE)
	@$$(call msg,GEN,$(1) devtable.c)
	$$(Q)python3 $$(GEN_DEVTABLE) $$< $$@

$$(eval $$(call compile-rule,$(2),$(2),VDUSED_CC,VDUSED_CFLAGS,CC))
DEP_FILES += $(2)/devtable.d

$(2)/vdused: $$(RUNTIME_OBJS) $(2)/devtable.o
	@$$(call msg,LD,$(1) vdused)
	$$(Q)$$(VDUSED_CC) $$(VDUSED_LDFLAGS) -o $$@ $$^
endef

.PHONY: vdused

# Just the generated table (the table checks use it to test bad tables).
devtable: $(DEVTABLE_C)
.PHONY: devtable
