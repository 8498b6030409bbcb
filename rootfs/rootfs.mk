# SPDX-License-Identifier: GPL-2.0
#
# The initramfs: Debian's static busybox, vdused, the skeleton in
# rootfs/skeleton and any overlays.  It is written with the kernel's own
# gen_init_cpio from a file list, so device nodes and ownership need no
# root rights.  The gzip'd cpio accepts more cpio archives appended to it.

ROOTFS_OBJ := $(BUILD)/rootfs
ROOTFS_LIST := $(ROOTFS_OBJ)/initramfs.list
GEN_INIT_CPIO := $(BUILD)/host/gen_init_cpio
BUSYBOX := /bin/busybox
ROOTFS_OVERLAYS := $(foreach d,$(call unquote,$(CONFIG_VDFW_ROOTFS_OVERLAY)),$(if $(filter /%,$(d)),$(d),$(SRC)/$(d)))
ROOTFS_TREES := $(SRC)/rootfs/skeleton $(ROOTFS_OVERLAYS)
ROOTFS_FILES := $(shell find $(ROOTFS_TREES) 2>/dev/null)

DEPS_PKGS += busybox-static

$(GEN_INIT_CPIO): $(KERNEL_SRC)/.extracted
	$(Q)mkdir -p $(@D)
	@$(call msg,HOSTCC,gen_init_cpio)
	$(Q)gcc -O2 -o $@ $(KERNEL_SRC)/usr/gen_init_cpio.c

# Shell-readable settings for the init scripts.
$(ROOTFS_OBJ)/config: $(AUTOCONF_MK)
	$(Q)mkdir -p $(@D)
	$(Q)grep -E '^CONFIG_(VDFW_ROOTFS_|VDUSED_RUN_DIR)' $< > $@

$(ROOTFS_LIST): $(SRC)/rootfs/gen-list.sh $(ROOTFS_FILES) $(ROOTFS_OBJ)/config \
		$(VDUSED) $(BUSYBOX)
	$(Q)$(SRC)/rootfs/gen-list.sh $(BUSYBOX) $(VDUSED) $(ROOTFS_OBJ)/config \
		$(ROOTFS_TREES) > $@.tmp && mv $@.tmp $@

$(IMAGES)/rootfs.cpio.gz: $(ROOTFS_LIST) $(GEN_INIT_CPIO)
	$(Q)mkdir -p $(@D)
	@$(call msg,CPIO,$(notdir $@))
	$(Q)$(GEN_INIT_CPIO) -t 0 $< | gzip -9n > $@.tmp && mv $@.tmp $@

rootfs: $(IMAGES)/rootfs.cpio.gz

.PHONY: rootfs
