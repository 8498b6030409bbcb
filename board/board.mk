# SPDX-License-Identifier: GPL-2.0
#
# Boards: board/<name>/ holds defconfig (make <name>_defconfig), the
# board's kernel fragment linux.config, board.mk for its facts, and qemu.sh,
# the one QEMU command line that make run, make test and make bench use.

-include $(BOARD_DIR)/board.mk

BOARD_QEMU := $(BOARD_DIR)/qemu.sh

DEPS_PKGS += $(BOARD_DEPS_PKGS)

run: all
	@$(call msg,RUN,$(BOARD) (ACCEL=$(or $(ACCEL),tcg)); quit with Ctrl-a x or poweroff)
	$(Q)$(BOARD_QEMU) $(IMAGES)/bzImage $(IMAGES)/rootfs.cpio.gz "$(APPEND)"

.PHONY: run
