# SPDX-License-Identifier: GPL-2.0
#
# Linux from Debian's linux-source tarball: tinyconfig + our fragments,
# built out of tree in $(BUILD)/linux.  The source is extracted once; the
# kernel is rebuilt only when its merged .config changes.

KERNEL_TARBALL := $(or $(call unquote,$(CONFIG_VDFW_KERNEL_TARBALL)),/usr/src/linux-source-6.12.tar.xz)
KERNEL_SRC := $(BUILD)/linux-src
KERNEL_OBJ := $(BUILD)/linux
KERNEL_HDR := $(BUILD)/linux-headers
KERNEL_HDR_OBJ := $(BUILD)/linux-headers-obj
KERNEL_MAKE = $(MAKE) -C $(KERNEL_SRC) ARCH=$(BOARD_KERNEL_ARCH) \
	KBUILD_BUILD_USER=vdfw KBUILD_BUILD_HOST=vdfw \
	$(if $(filter 1,$(V)),V=1,-s)

# test-refs.config is merged only when the option asks for it.
KERNEL_FRAGMENTS := \
	$(filter-out %/test-refs.config,$(wildcard $(SRC)/kernel/*.config)) \
	$(if $(CONFIG_VDFW_KERNEL_TEST_REFS),$(SRC)/kernel/test-refs.config) \
	$(BOARD_DIR)/linux.config \
	$(foreach f,$(call unquote,$(CONFIG_VDFW_KERNEL_EXTRA_FRAGMENTS)),$(if $(filter /%,$(f)),$(f),$(SRC)/$(f)))
KERNEL_FRAGMENT_LIST := $(BUILD)/linux-fragments.list

DEPS_PKGS += linux-source-6.12 bc bison flex libelf-dev libssl-dev cpio \
	xz-utils rsync ccache

# The list file changes only when the set of fragments changes.
$(KERNEL_FRAGMENT_LIST): FORCE | $(AUTOCONF_MK)
	$(Q)mkdir -p $(@D)
	$(Q)echo $(KERNEL_FRAGMENTS) | tr ' ' '\n' > $@.tmp
	$(Q)cmp -s $@.tmp $@ && rm $@.tmp || mv $@.tmp $@

$(KERNEL_SRC)/.extracted: $(KERNEL_TARBALL)
	@$(call msg,EXTRACT,$(KERNEL_TARBALL))
	$(Q)rm -rf $(KERNEL_SRC) $(KERNEL_SRC).tmp && mkdir -p $(KERNEL_SRC).tmp
	$(Q)tar -xf $< -C $(KERNEL_SRC).tmp --strip-components=1
	$(Q)mv $(KERNEL_SRC).tmp $(KERNEL_SRC) && touch $@

$(KERNEL_TARBALL):
	@echo "$@ is missing: install Debian's linux-source-6.12 (make deps)" >&2; exit 1

# tinyconfig, merge, olddefconfig, then insist that every fragment option
# survived: merge_config.sh only warns when a dependency drops one.
# The .config is replaced only if its content changed (so the kernel is
# rebuilt only then); the stamp records that the merge is current.
$(KERNEL_OBJ)/.config: $(KERNEL_OBJ)/.config.stamp ;

$(KERNEL_OBJ)/.config.stamp: $(KERNEL_SRC)/.extracted $(KERNEL_FRAGMENT_LIST) \
		$(KERNEL_FRAGMENTS) $(SRC)/kernel/check-fragments.sh | $(DEVTABLE_C)
	@$(call msg,KCONFIG,tinyconfig + $(words $(KERNEL_FRAGMENTS)) fragments)
	$(Q)rm -rf $(KERNEL_OBJ).cfg && mkdir -p $(KERNEL_OBJ).cfg $(KERNEL_OBJ)
	$(Q)$(KERNEL_MAKE) O=$(KERNEL_OBJ).cfg tinyconfig >/dev/null
	$(Q)cd $(KERNEL_OBJ).cfg && $(KERNEL_SRC)/scripts/kconfig/merge_config.sh \
		-m -O . .config $(KERNEL_FRAGMENTS) >merge.log 2>&1 || { cat merge.log; exit 1; }
	$(Q)$(KERNEL_MAKE) O=$(KERNEL_OBJ).cfg olddefconfig >/dev/null
	$(Q)$(SRC)/kernel/check-fragments.sh $(KERNEL_OBJ).cfg/.config $(KERNEL_FRAGMENTS)
	$(Q)cmp -s $(KERNEL_OBJ).cfg/.config $(KERNEL_OBJ)/.config || \
		cp $(KERNEL_OBJ).cfg/.config $(KERNEL_OBJ)/.config
	$(Q)rm -rf $(KERNEL_OBJ).cfg && touch $@

$(KERNEL_OBJ)/$(BOARD_KERNEL_IMAGE): $(KERNEL_OBJ)/.config
	@$(call msg,KERNEL,$(BOARD_KERNEL_ARCH) $(notdir $@) (-j$(JOBS)))
	$(Q)cc=gcc; command -v ccache >/dev/null && cc="ccache gcc"; \
	$(KERNEL_MAKE) O=$(KERNEL_OBJ) CC="$$cc" -j$(JOBS) $(notdir $@)
	$(Q)touch $@

$(IMAGES)/bzImage: $(KERNEL_OBJ)/$(BOARD_KERNEL_IMAGE)
	$(Q)mkdir -p $(@D) && cp $< $@

# uapi headers do not depend on the kernel configuration, so vdused can be
# compiled while the kernel builds.
$(KERNEL_HDR)/.installed: $(KERNEL_SRC)/.extracted
	@$(call msg,HEADERS,$(KERNEL_HDR))
	$(Q)$(KERNEL_MAKE) O=$(KERNEL_HDR_OBJ) INSTALL_HDR_PATH=$(KERNEL_HDR) headers_install
	$(Q)touch $@

kernel: $(IMAGES)/bzImage $(KERNEL_HDR)/.installed

kernel-menuconfig: $(KERNEL_OBJ)/.config
	$(Q)$(KERNEL_MAKE) O=$(KERNEL_OBJ) menuconfig

FORCE:
.PHONY: kernel kernel-menuconfig FORCE
