// SPDX-License-Identifier: GPL-2.0
/*
 * The null disk, for benchmarks: writes vanish, reads return zeroes, and
 * every operation completes inside submit() so the measured cost is the
 * virtqueue path alone.  Discard and write-zeroes are free because the
 * disk already reads back as zeroes everywhere.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../../core/compiler.h"
#include "../../models/blk_backend.h"

static void null_submit(struct blk_backend *be, struct blk_io *io)
{
	unsigned int i;

	if (io->op == BLK_IO_READ)
		for (i = 0; i < io->iovcnt; i++)
			memset(io->iov[i].iov_base, 0, io->iov[i].iov_len);
	blk_backend_complete(be, io, 0);
}

static void null_unplug(struct blk_backend *be)
{
	(void)be;
}

static void null_close(struct blk_backend *be)
{
	free(be);
}

static const struct blk_backend_ops null_ops = {
	.kind = "null",
	.submit = null_submit,
	.unplug = null_unplug,
	.close = null_close,
};

static int null_open(struct blk_backend **bep, const struct blk_devcfg *cfg)
{
	struct blk_backend *be;

	be = calloc(1, sizeof(*be));
	if (!be)
		return -ENOMEM;
	*be = (struct blk_backend) {
		.ops = &null_ops,
		.name = cfg->name,
		.size = cfg->capacity,
		.can_discard = !cfg->readonly,
		.can_write_zeroes = !cfg->readonly,
		.zeroes_may_unmap = true,
		.max_discard_sectors = UINT32_MAX & ~7u,
		.max_write_zeroes_sectors = UINT32_MAX & ~7u,
	};
	*bep = be;
	return 0;
}

const struct blk_backend_kind blk_null_backend = {
	.name = "null",
	.open = null_open,
};
