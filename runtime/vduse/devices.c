// SPDX-License-Identifier: GPL-2.0
#include "devices.h"

/* Placeholder until the device layer lands: the table is empty. */
int devices_start(void) { return 0; }
bool devices_settled(void) { return true; }
void devices_reap_children(void) { }
void devices_dump_stats(void) { }
void devices_signal(int signo) { (void)signo; }
void devices_stop(void) { }
unsigned int devices_inflight(void) { return 0; }
void devices_destroy(void) { }
