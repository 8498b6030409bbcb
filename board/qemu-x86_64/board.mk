# qemu-x86_64 board facts for the build.
BOARD_KERNEL_ARCH := x86_64
BOARD_KERNEL_IMAGE := arch/x86/boot/bzImage
BOARD_DEPS_PKGS := qemu-system-x86
