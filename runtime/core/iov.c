// SPDX-License-Identifier: GPL-2.0
/* iovec byte access (see iov.h). */
#include <stdint.h>
#include <string.h>

#include "compiler.h"
#include "iov.h"

bool iov_seek(const struct iovec *iov, unsigned int cnt, size_t off,
	      unsigned int *idx, size_t *skip)
{
	unsigned int i;

	for (i = 0; i < cnt; i++) {
		if (off < iov[i].iov_len) {
			*idx = i;
			*skip = off;
			return true;
		}
		off -= iov[i].iov_len;
	}
	return false;
}

size_t iov_read(const struct iovec *iov, unsigned int cnt, size_t off,
		void *buf, size_t len)
{
	uint8_t *p = buf;
	size_t done = 0, n;
	unsigned int i;

	if (!len || !iov_seek(iov, cnt, off, &i, &off))
		return 0;
	for (; i < cnt && done < len; i++, off = 0) {
		n = MIN(iov[i].iov_len - off, len - done);
		memcpy(p + done, (const uint8_t *)iov[i].iov_base + off, n);
		done += n;
	}
	return done;
}

size_t iov_write(const struct iovec *iov, unsigned int cnt, size_t off,
		 const void *buf, size_t len)
{
	const uint8_t *p = buf;
	size_t done = 0, n;
	unsigned int i;

	if (!len || !iov_seek(iov, cnt, off, &i, &off))
		return 0;
	for (; i < cnt && done < len; i++, off = 0) {
		n = MIN(iov[i].iov_len - off, len - done);
		memcpy((uint8_t *)iov[i].iov_base + off, p + done, n);
		done += n;
	}
	return done;
}

size_t iov_copy(const struct iovec *dst, unsigned int dcnt, size_t doff,
		const struct iovec *src, unsigned int scnt, size_t soff,
		size_t len)
{
	unsigned int di, si;
	size_t done = 0, n;

	if (!len || !iov_seek(dst, dcnt, doff, &di, &doff) ||
	    !iov_seek(src, scnt, soff, &si, &soff))
		return 0;
	while (done < len && di < dcnt && si < scnt) {
		n = MIN(dst[di].iov_len - doff, src[si].iov_len - soff);
		n = MIN(n, len - done);
		memcpy((uint8_t *)dst[di].iov_base + doff,
		   (const uint8_t *)src[si].iov_base + soff, n);
		done += n;
		doff += n;
		soff += n;
		if (doff == dst[di].iov_len) {
			di++;
			doff = 0;
		}
		if (soff == src[si].iov_len) {
			si++;
			soff = 0;
		}
	}
	return done;
}

/* Drop the first @n bytes of @iov[0, *cnt); returns where the rest starts. */
struct iovec *iov_skip(struct iovec *iov, unsigned int *cnt, size_t n)
{
	while (*cnt && n >= iov->iov_len) {
		n -= iov->iov_len;
		iov++;
		(*cnt)--;
	}
	if (*cnt && n) {
		iov->iov_base = (uint8_t *)iov->iov_base + n;
		iov->iov_len -= n;
	}
	return iov;
}

/* Drop the last @n bytes of @iov[0, *cnt). */
void iov_trim(struct iovec *iov, unsigned int *cnt, size_t n)
{
	struct iovec *last;

	while (*cnt && n) {
		last = &iov[*cnt - 1];
		if (n < last->iov_len) {
			last->iov_len -= n;
			return;
		}
		n -= last->iov_len;
		(*cnt)--;
	}
}
