/* Writing a device fuzzer's seed corpus (its SEEDS build): an input is
 * built in a struct out and written as DIR/NAME. */
#ifndef ITSY_FUZZ_SEEDS_H
#define ITSY_FUZZ_SEEDS_H

#include <stdint.h>
#include <stdio.h>

struct out {
	uint8_t b[1024];
	size_t n;
};

/* @bytes of @v, little-endian; what does not fit is dropped. */
static void put(struct out *o, uint64_t v, unsigned bytes)
{
	for (unsigned i = 0; i < bytes && o->n < sizeof(o->b); i++)
		o->b[o->n++] = v >> (8 * i);
}

/* The input @fn builds, as DIR/NAME: 0, or 1 with the reason on stderr. */
static int seed_write(const char *dir, const char *name, void (*fn)(struct out *))
{
	struct out o = { .n = 0 };
	char path[512];
	FILE *f;

	fn(&o);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(o.b, 1, o.n, f) != o.n || fclose(f)) {
		perror(path);
		return 1;
	}
	return 0;
}

#endif
