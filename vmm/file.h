/* Whole reads and writes at an offset: short counts and EINTR are gone
 * through, so callers see all of it, or an error. */
#ifndef ITSY_FILE_H
#define ITSY_FILE_H

#include <stdint.h>

/* @len bytes at @off of @fd into @p, or from @p. 0, -errno, or -EIO when
 * the file ends first (reading) or takes nothing (writing). */
int file_pread_all(int fd, void *p, uint64_t len, uint64_t off);
int file_pwrite_all(int fd, const void *p, uint64_t len, uint64_t off);

/* @len zero bytes written at @off (where no hole can be punched). */
int file_write_zeros(int fd, uint64_t off, uint64_t len);

#endif
