/* Little-endian integers in byte buffers, whatever the host's order: every
 * saved or sent format (state file, migration stream, pages) is written
 * field by field with these. Header only. */
#ifndef ITSY_LE_H
#define ITSY_LE_H

#include <stdint.h>

/* The low @n bytes (1..8) of @v into @p. */
static inline void le_put(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* @n bytes (0..8) at @p as an integer. */
static inline uint64_t le_get(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

#endif
