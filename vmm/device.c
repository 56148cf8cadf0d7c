#include "vmm/device.h"
#include "vmm/disk_log.h"
#include "vmm/log.h"
#include "vmm/vm.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int device_add(struct vm *vm, const struct device_ops *ops, void *state, const char *id)
{
	struct device *d = &vm->devices[vm->ndevices];

	if (vm->ndevices == VM_MAX_DEVICES)
		return -ENOSPC;
	if (!*id || strlen(id) > DEVICE_ID_MAX)
		return -EINVAL;
	*d = (struct device){ ops, state, "" };
	snprintf(d->id, sizeof(d->id), "%s", id);
	vm->ndevices++;
	return 0;
}

static int call(const struct device *d, int (*fn)(void *), const char *what)
{
	int rc = fn ? fn(d->state) : 0;

	if (rc)
		log_msg("%s: %s: %s", d->ops->name, what, strerror(-rc));
	return rc;
}

int devices_pause(struct vm *vm)
{
	unsigned i;
	int rc = 0;

	for (i = 0; i < vm->ndevices; i++)
		if ((rc = call(&vm->devices[i], vm->devices[i].ops->pause, "pause")))
			break;
	/* Undo exactly what was done: a device whose pause failed is still
	 * running (its contract), those paused before it run again. */
	while (rc && i-- > 0)
		call(&vm->devices[i], vm->devices[i].ops->resume, "resume");
	return rc;
}

int devices_resume(struct vm *vm)
{
	int rc = 0;

	/* Every device, even past a failure: one that cannot run must not
	 * keep the others stopped. */
	for (unsigned i = vm->ndevices; i-- > 0;) {
		int r = call(&vm->devices[i], vm->devices[i].ops->resume, "resume");

		rc = rc ? rc : r;
	}
	return rc;
}

static int each(struct vm *vm, int release)
{
	int rc = 0;

	for (unsigned i = 0; i < vm->ndevices; i++) {
		const struct device_ops *o = vm->devices[i].ops;
		int r = call(&vm->devices[i], release ? o->release : o->acquire,
			     release ? "release" : "acquire");

		rc = rc ? rc : r;
	}
	return rc;
}

int devices_release(struct vm *vm)
{
	return each(vm, 1);
}

int devices_acquire(struct vm *vm)
{
	return each(vm, 0);
}

int devices_log_dirty(struct vm *vm, unsigned long *bits)
{
	int rc = 0;

	for (unsigned i = 0; i < vm->ndevices; i++) {
		const struct device_ops *o = vm->devices[i].ops;
		int r = o->log_dirty ? o->log_dirty(vm->devices[i].state, bits) : 0;

		if (r)
			log_msg("%s: dirty log: %s", o->name, strerror(-r));
		rc = rc ? rc : r;
	}
	return rc;
}

static int log_disk(struct device *d, struct disk_log *log)
{
	return d->ops->log_disk ? d->ops->log_disk(d->state, log) : -ENODEV;
}

/* A disk past the @max the caller has room for: -E2BIG; else -ENODEV. */
static int one_too_many(struct device *d)
{
	struct disk_log extra;
	int rc = log_disk(d, &extra);

	if (rc)
		return rc;
	log_disk(d, NULL);
	disk_log_free(&extra);
	return -E2BIG;
}

int devices_log_disks(struct vm *vm, struct disk_log *logs, unsigned max)
{
	unsigned n = 0;

	for (unsigned i = 0; i < vm->ndevices; i++) {
		int rc = !logs ? log_disk(&vm->devices[i], NULL) :
			 n < max ? log_disk(&vm->devices[i], &logs[n]) : one_too_many(&vm->devices[i]);

		if (!rc && logs)
			n++;
		else if (rc && rc != -ENODEV && logs) {
			log_msg("%s: cannot log its disk's writes: %s", vm->devices[i].id,
				strerror(-rc));
			devices_log_disks(vm, NULL, 0);
			return rc;
		}
	}
	return (int)n;
}
