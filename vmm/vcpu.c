#include "vmm/vcpu.h"
#include "vmm/clock.h"
#include "vmm/log.h"
#include "vmm/vm.h"
#include "vmm/sandbox.h"

#include <errno.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define SIG_KICK SIGUSR1

int vcpu_create(struct vm *vm, struct vcpu *v, unsigned id)
{
	void *run;

	memset(v, 0, sizeof(*v));
	v->vm = vm;
	v->id = id;
	v->fd = ioctl(vm->kvm.vm_fd, KVM_CREATE_VCPU, (unsigned long)id);
	if (v->fd < 0)
		return -errno;
	run = mmap(NULL, vm->kvm.run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
	if (run == MAP_FAILED)
		return -errno;
	v->run = run;
	return 0;
}

void vcpu_barrier_init(struct vcpu_barrier *b)
{
	pthread_mutex_init(&b->lock, NULL);
	pthread_cond_init(&b->cond, NULL);
	b->pause_req = 0;
	b->parked = 0;
}

/* Wait in the barrier while a pause is requested, or forever if @dead. */
static void park(struct vcpu *v, int dead)
{
	struct vcpu_barrier *b = &v->vm->barrier;

	pthread_mutex_lock(&b->lock);
	b->parked++;
	pthread_cond_broadcast(&b->cond);
	while (dead || b->pause_req)
		pthread_cond_wait(&b->cond, &b->lock);
	b->parked--;
	v->run->immediate_exit = 0;
	pthread_mutex_unlock(&b->lock);
}

static int exit_mmio(struct vcpu *v)
{
	static int warned;
	struct kvm_run *r = v->run;

	if (!mmio_dispatch(&v->vm->mmio, r->mmio.phys_addr, r->mmio.data,
			   r->mmio.len, r->mmio.is_write))
		return 0;
	/* Like a bus with nothing behind it: reads as all-ones, writes ignored. */
	if (!r->mmio.is_write)
		memset(r->mmio.data, 0xff, r->mmio.len);
	if (warned++ < 8)
		log_msg("vCPU %u: %s of unmapped address 0x%llx ignored", v->id,
			r->mmio.is_write ? "write" : "read",
			(unsigned long long)r->mmio.phys_addr);
	return 0;
}

static int exit_system_event(struct vcpu *v)
{
	switch (v->run->system_event.type) {
	case KVM_SYSTEM_EVENT_SHUTDOWN:
		vm_request_exit(v->vm, VM_EXIT_POWEROFF, "guest powered off");
		return -1;
	case KVM_SYSTEM_EVENT_RESET:
		vm_request_exit(v->vm, VM_EXIT_RESET,
				"guest requested a reset; itsy does not reboot guests");
		return -1;
	case KVM_SYSTEM_EVENT_CRASH:
		vm_request_exit(v->vm, VM_EXIT_PANIC, "guest reported a crash");
		return -1;
	}
	vm_request_exit(v->vm, VM_EXIT_VCPU, "vCPU %u: unknown system event %u",
			v->id, v->run->system_event.type);
	return -1;
}

static int exit_intr(struct vcpu *v)
{
	(void)v;
	return 0;
}

static int exit_fail_entry(struct vcpu *v)
{
	vm_request_exit(v->vm, VM_EXIT_VCPU, "vCPU %u: KVM failed to enter the guest (reason 0x%llx)",
			v->id, (unsigned long long)v->run->fail_entry.hardware_entry_failure_reason);
	return -1;
}

static int exit_internal(struct vcpu *v)
{
	vm_request_exit(v->vm, VM_EXIT_VCPU, "vCPU %u: KVM internal error %u",
			v->id, v->run->internal.suberror);
	return -1;
}

static int exit_nisv(struct vcpu *v)
{
	vm_request_exit(v->vm, VM_EXIT_VCPU,
			"vCPU %u: guest accessed device memory at 0x%llx with an instruction KVM cannot decode",
			v->id, (unsigned long long)v->run->arm_nisv.fault_ipa);
	return -1;
}

static int exit_hypercall(struct vcpu *v)
{
	if (v->vm->hypercall && !v->vm->hypercall(v))
		return 0;
	vm_request_exit(v->vm, VM_EXIT_VCPU, "vCPU %u: KVM forwarded SMCCC call 0x%llx, which "
			"itsy cannot answer", v->id, (unsigned long long)v->run->hypercall.nr);
	return -1;
}

/* Exit reason -> handler. A handler returns 0 to re-enter the guest. */
static int (*const exit_handlers[])(struct vcpu *) = {
	[KVM_EXIT_MMIO]			= exit_mmio,
	[KVM_EXIT_SYSTEM_EVENT]		= exit_system_event,
	[KVM_EXIT_INTR]			= exit_intr,
	[KVM_EXIT_FAIL_ENTRY]		= exit_fail_entry,
	[KVM_EXIT_INTERNAL_ERROR]	= exit_internal,
	[KVM_EXIT_ARM_NISV]		= exit_nisv,
	[KVM_EXIT_HYPERCALL]		= exit_hypercall,
};

static int handle_exit(struct vcpu *v)
{
	unsigned reason = v->run->exit_reason;
	size_t n = sizeof(exit_handlers) / sizeof(exit_handlers[0]);

	if (reason < n && exit_handlers[reason])
		return exit_handlers[reason](v);
	vm_request_exit(v->vm, VM_EXIT_VCPU, "vCPU %u: unexpected KVM exit %u", v->id, reason);
	return -1;
}

static int run_once(struct vcpu *v)
{
	if (v->id == 0 && !v->vm->first_run_ns)
		__atomic_store_n(&v->vm->first_run_ns, clock_ns(), __ATOMIC_RELAXED);
	if (ioctl(v->fd, KVM_RUN, 0) == 0)
		return handle_exit(v);
	if (errno == EINTR || errno == EAGAIN) {
		/* Why park only after a KVM_RUN: an MMIO exit is complete (the
		 * read's register written, the PC moved on) only once KVM_RUN
		 * is entered again; with immediate_exit set it does that and
		 * returns at once. State saved before would replay the access. */
		if (__atomic_load_n(&v->vm->barrier.pause_req, __ATOMIC_ACQUIRE))
			park(v, 0);
		return 0;
	}
	vm_request_exit(v->vm, VM_EXIT_VCPU, "vCPU %u: KVM_RUN: %s", v->id, strerror(errno));
	return -1;
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	sigset_t set;
	int rc;

	sigemptyset(&set);
	sigaddset(&set, SIG_KICK);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	if ((rc = sandbox_enter(SANDBOX_VCPU)))
		vm_request_exit(v->vm, VM_EXIT_ERROR, "vCPU %u: cannot confine the thread "
				"(seccomp): %s", v->id, strerror(-rc));
	while (!rc && run_once(v) == 0)
		;
	park(v, 1);
	return NULL;
}

static void kick_handler(int sig)
{
	(void)sig;	/* only here to interrupt KVM_RUN */
}

int vcpus_start(struct vm *vm)
{
	struct sigaction sa = { .sa_handler = kick_handler };	/* no SA_RESTART */
	int rc;

	sigaction(SIG_KICK, &sa, NULL);
	for (unsigned i = 0; i < vm->ncpus; i++) {
		rc = pthread_create(&vm->vcpus[i].thread, NULL, vcpu_thread, &vm->vcpus[i]);
		if (rc)
			return -rc;
		vm->vcpus[i].started = 1;
	}
	return 0;
}

uint64_t vcpus_pause(struct vm *vm)
{
	struct vcpu_barrier *b = &vm->barrier;
	uint64_t t0 = clock_ns();

	pthread_mutex_lock(&b->lock);
	b->pause_req = 1;
	for (unsigned i = 0; i < vm->ncpus; i++) {
		/* Why both: the signal interrupts a running KVM_RUN; immediate_exit
		 * makes a KVM_RUN that starts after the signal return at once. */
		vm->vcpus[i].run->immediate_exit = 1;
		if (vm->vcpus[i].started)
			pthread_kill(vm->vcpus[i].thread, SIG_KICK);
	}
	while (b->parked < vm->ncpus)
		pthread_cond_wait(&b->cond, &b->lock);
	pthread_mutex_unlock(&b->lock);
	return clock_ns() - t0;
}

void vcpus_resume(struct vm *vm)
{
	struct vcpu_barrier *b = &vm->barrier;

	pthread_mutex_lock(&b->lock);
	b->pause_req = 0;
	pthread_cond_broadcast(&b->cond);
	pthread_mutex_unlock(&b->lock);
}

/* ---- the same work on every vCPU, in parallel ---- */

#define EACH_THREADS_MAX	16

struct each {
	struct vm *vm;
	int (*fn)(struct vcpu *v, void *ctx);
	void *ctx;
	unsigned next;		/* the next vCPU to take, atomically */
	int *rc;		/* per vCPU */
};

static void *each_worker(void *arg)
{
	struct each *e = arg;
	unsigned i;

	while ((i = __atomic_fetch_add(&e->next, 1, __ATOMIC_RELAXED)) < e->vm->ncpus)
		e->rc[i] = e->fn(&e->vm->vcpus[i], e->ctx);
	return NULL;
}

static unsigned each_threads(unsigned ncpus)
{
	long online = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned n = online > 0 ? (unsigned)online : 1;

	n = n < ncpus ? n : ncpus;
	return n < EACH_THREADS_MAX ? n : EACH_THREADS_MAX;
}

int vcpus_each(struct vm *vm, int (*fn)(struct vcpu *v, void *ctx), void *ctx)
{
	struct each e = { vm, fn, ctx, 0, calloc(vm->ncpus ? vm->ncpus : 1, sizeof(int)) };
	pthread_t t[EACH_THREADS_MAX];
	unsigned n = 0, want = each_threads(vm->ncpus);
	int rc = 0;

	if (!e.rc)
		return -ENOMEM;
	/* A thread that cannot be made is no loss: the others take its share. */
	while (n + 1 < want && !pthread_create(&t[n], NULL, each_worker, &e))
		n++;
	each_worker(&e);
	while (n)
		pthread_join(t[--n], NULL);
	for (unsigned i = 0; !rc && i < vm->ncpus; i++)
		rc = e.rc[i];
	free(e.rc);
	return rc;
}
