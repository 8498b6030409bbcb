/* SPDX-License-Identifier: GPL-2.0 */
/*
 * SIGBUS containment.  Touching a page of a shared mapping that has no
 * backing raises SIGBUS: a VDUSE domain page the driver never mapped (a
 * hostile descriptor can point there), or a RAM-disk page that a full
 * tmpfs cannot provide.  Instead of dying, the handler puts a private
 * scratch page over the faulting one so the access completes, and records
 * the address.  Whoever owns the mapping then finds out (fault_seq()
 * changed, fault_take()) and fails the request or the device.
 */
#ifndef VDFW_CORE_FAULT_H
#define VDFW_CORE_FAULT_H

#include <stdbool.h>

int fault_init(void);
/* Increases with every contained fault. */
unsigned int fault_seq(void);
/* Did a fault since fault_seq() returned @since hit [start, start+len)? */
bool fault_within(unsigned int since, const void *start, unsigned long len);
/* Next recorded fault address not yet taken; false when none. */
bool fault_take(void **addr);

#endif
