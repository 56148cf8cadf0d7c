#include "devices/rtc/rtc.h"
#include "devices/rtc/pl031.h"
#include "vmm/vm.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct rtc {
	pthread_mutex_t lock;
	struct pl031 pl031;
};

static void rtc_mmio(void *opaque, uint64_t off, uint8_t *data, unsigned len,
		     int is_write)
{
	struct rtc *r = opaque;
	uint32_t v = 0;

	memcpy(&v, data, len < 4 ? len : 4);	/* registers are 32-bit, little-endian host */
	pthread_mutex_lock(&r->lock);
	if (is_write)
		pl031_write(&r->pl031, off, v, time(NULL));
	else
		v = pl031_read(&r->pl031, off, time(NULL));
	pthread_mutex_unlock(&r->lock);
	if (!is_write) {
		memset(data, 0, len);
		memcpy(data, &v, len < 4 ? len : 4);
	}
}

static int rtc_save(void *state, struct regset *out)
{
	struct rtc *r = state;
	int rc;

	pthread_mutex_lock(&r->lock);
	rc = pl031_save(&r->pl031, out);
	pthread_mutex_unlock(&r->lock);
	return rc;
}

static int rtc_load(void *state, const struct regset *in, unsigned version)
{
	struct rtc *r = state;
	int rc;

	if (version != PL031_STATE_VERSION)
		return -EPROTO;
	pthread_mutex_lock(&r->lock);
	rc = pl031_load(&r->pl031, in);
	pthread_mutex_unlock(&r->lock);
	return rc;
}

static const struct device_ops rtc_dev_ops = {
	.name = "pl031", .version = PL031_STATE_VERSION, .save = rtc_save, .load = rtc_load,
};

int rtc_attach(struct vm *vm, uint64_t base, uint64_t size)
{
	struct rtc *r = calloc(1, sizeof(*r));

	if (!r)
		return -ENOMEM;
	pthread_mutex_init(&r->lock, NULL);
	pl031_init(&r->pl031);
	return mmio_register(&vm->mmio, base, size, rtc_mmio, r) ?: device_add(vm, &rtc_dev_ops, r);
}
