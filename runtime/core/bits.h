/* SPDX-License-Identifier: GPL-2.0 */
/* Bit helpers shared by every layer (virtio feature bits are 64-bit). */
#ifndef VDFW_CORE_BITS_H
#define VDFW_CORE_BITS_H

#define BIT(b) (1ULL << (b))

#endif
