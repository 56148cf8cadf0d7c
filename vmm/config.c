#include "vmm/config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static int set_arg(struct device_config *d, const char *arg)
{
	if (strlen(arg) > CONFIG_ARG_MAX)
		return -E2BIG;
	snprintf(d->arg, sizeof(d->arg), "%s", arg);
	return 0;
}

int config_add_device(struct run_config *c, const char *kind, const char *arg)
{
	struct device_config *d = &c->devices[c->ndevices];

	if (c->ndevices == CONFIG_MAX_DEVICES)
		return -ENOSPC;
	if (set_arg(d, arg))
		return -E2BIG;
	d->kind = kind;
	c->ndevices++;
	return 0;
}

unsigned config_count(const struct run_config *c, const char *kind)
{
	unsigned n = 0;

	for (unsigned i = 0; i < c->ndevices; i++)
		n += !strcmp(c->devices[i].kind, kind);
	return n;
}

int config_override(struct run_config *c, const char *kind, const char *const *args,
		    unsigned n)
{
	unsigned k = 0;

	for (unsigned i = 0; i < c->ndevices && k < n; i++) {
		if (strcmp(c->devices[i].kind, kind))
			continue;
		if (set_arg(&c->devices[i], args[k++]))
			return -E2BIG;
	}
	return k == n ? 0 : -ERANGE;
}
