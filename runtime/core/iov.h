/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Byte access to data spread over iovecs.  A driver may split any field
 * of a request or frame across buffers, so every access goes through here.
 */
#ifndef VDFW_CORE_IOV_H
#define VDFW_CORE_IOV_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/uio.h>

/*
 * Copy between a buffer and @cnt iovecs, starting @off bytes in.  Each
 * returns how many bytes it moved (less than @len if the iovecs end).
 */
size_t iov_read(const struct iovec *iov, unsigned int cnt, size_t off,
		void *buf, size_t len);
size_t iov_write(const struct iovec *iov, unsigned int cnt, size_t off,
		 const void *buf, size_t len);
size_t iov_copy(const struct iovec *dst, unsigned int dcnt, size_t doff,
		const struct iovec *src, unsigned int scnt, size_t soff,
		size_t len);
/* Locate byte @off: *idx, *skip (false: beyond the end). */
bool iov_seek(const struct iovec *iov, unsigned int cnt, size_t off,
	      unsigned int *idx, size_t *skip);
/*
 * Drop the first @n bytes of @iov[0, *cnt) in place; returns where the
 * rest starts (*cnt counts from there).
 */
struct iovec *iov_skip(struct iovec *iov, unsigned int *cnt, size_t n);
/* Drop the last @n bytes of @iov[0, *cnt) in place. */
void iov_trim(struct iovec *iov, unsigned int *cnt, size_t n);

#endif
