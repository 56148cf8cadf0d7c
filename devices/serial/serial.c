#include "devices/serial/serial.h"
#include "devices/serial/ns16550.h"
#include "vmm/console.h"
#include "vmm/log.h"
#include "vmm/vm.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct serial {
	pthread_mutex_t lock;	/* serialises the model: vCPUs and the console */
	struct ns16550 uart;
	struct vm *vm;
	uint32_t irq;
};

static void on_irq(void *ctx, int level)
{
	struct serial *s = ctx;
	int rc = kvm_irq_line(&s->vm->kvm, s->irq, level);

	if (rc)
		log_msg("serial: KVM_IRQ_LINE: %s", strerror(-rc));
}

static void on_tx(void *ctx, uint8_t byte)
{
	struct serial *s = ctx;

	console_out(s->vm->console, byte);
}

static void on_rx_room(void *ctx)
{
	struct serial *s = ctx;

	console_kick(s->vm->console);
}

static const struct ns16550_ops serial_ops = {
	.irq = on_irq, .tx = on_tx, .rx_room = on_rx_room,
};

/* Registers are one byte wide; a wider access reaches the addressed one. */
static void serial_mmio(void *opaque, uint64_t off, uint8_t *data, unsigned len,
			int is_write)
{
	struct serial *s = opaque;

	pthread_mutex_lock(&s->lock);
	if (is_write) {
		ns16550_write(&s->uart, off, data[0]);
	} else {
		memset(data, 0, len);
		data[0] = ns16550_read(&s->uart, off);
	}
	pthread_mutex_unlock(&s->lock);
}

static size_t serial_sink(void *ctx, const uint8_t *buf, size_t len)
{
	struct serial *s = ctx;
	size_t n;

	pthread_mutex_lock(&s->lock);
	n = ns16550_rx_push(&s->uart, buf, len);
	pthread_mutex_unlock(&s->lock);
	return n;
}

static int serial_save(void *state, struct regset *out)
{
	struct serial *s = state;
	int rc;

	pthread_mutex_lock(&s->lock);
	rc = ns16550_save(&s->uart, out);
	pthread_mutex_unlock(&s->lock);
	return rc;
}

static int serial_load(void *state, const struct regset *in, unsigned version)
{
	struct serial *s = state;
	int rc;

	if (version != NS16550_STATE_VERSION)
		return -EPROTO;
	pthread_mutex_lock(&s->lock);
	rc = ns16550_load(&s->uart, in);
	pthread_mutex_unlock(&s->lock);
	console_kick(s->vm->console);	/* it may take input again */
	return rc;
}

static const struct device_ops serial_dev_ops = {
	.name = "ns16550", .version = NS16550_STATE_VERSION,
	.save = serial_save, .load = serial_load,
};

int serial_attach(struct vm *vm, uint64_t base, uint64_t size, uint32_t irq)
{
	struct serial *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	pthread_mutex_init(&s->lock, NULL);
	s->vm = vm;
	s->irq = irq;
	ns16550_init(&s->uart, &serial_ops, s);
	console_set_sink(vm->console, serial_sink, s);
	return mmio_register(&vm->mmio, base, size, serial_mmio, s) ?:
	       device_add(vm, &serial_dev_ops, s, serial_dev_ops.name);
}
