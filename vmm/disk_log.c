#include "vmm/disk_log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define WORD_BITS	(8 * sizeof(unsigned long))

uint64_t disk_log_bitmap_bytes(const struct disk_log *l)
{
	return (l->chunks + WORD_BITS - 1) / WORD_BITS * sizeof(unsigned long);
}

int disk_log_init(struct disk_log *l, int fd, uint64_t size, unsigned shift)
{
	memset(l, 0, sizeof(*l));
	if (shift < 9 || shift > 30)
		return -EINVAL;
	l->fd = fd;
	l->size = size;
	l->shift = shift;
	l->chunks = (size + (1ull << shift) - 1) >> shift;
	l->bits = calloc(1, disk_log_bitmap_bytes(l) + sizeof(unsigned long));
	return l->bits ? 0 : -ENOMEM;
}

void disk_log_free(struct disk_log *l)
{
	free(l->bits);
	l->bits = NULL;
	l->chunks = 0;
}

void disk_log_mark(struct disk_log *l, uint64_t off, uint64_t len)
{
	uint64_t first, last;

	if (!len || off >= l->size)
		return;
	if (len > l->size - off)
		len = l->size - off;
	first = off >> l->shift;
	last = (off + len - 1) >> l->shift;
	for (uint64_t c = first; c <= last; c++)
		__atomic_fetch_or(&l->bits[c / WORD_BITS], 1ul << (c % WORD_BITS),
				  __ATOMIC_RELEASE);
}

uint64_t disk_log_take(struct disk_log *l, unsigned long *out)
{
	uint64_t words = disk_log_bitmap_bytes(l) / sizeof(unsigned long), n = 0;

	for (uint64_t i = 0; i < words; i++) {
		unsigned long w;

		if (!__atomic_load_n(&l->bits[i], __ATOMIC_RELAXED))
			continue;
		w = __atomic_exchange_n(&l->bits[i], 0, __ATOMIC_ACQUIRE);
		n += __builtin_popcountl(w & ~out[i]);
		out[i] |= w;
	}
	return n;
}
