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

-include $(VDUSED_OBJS:.o=.d)

.PHONY: vdused

# Just the generated table (the build checks use it to test bad tables).
devtable: $(DEVTABLE_C)
.PHONY: devtable
