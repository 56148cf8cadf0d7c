#include "vmm/vm.h"
#include "vmm/sandbox.h"
#include "vmm/clock.h"
#include "vmm/console.h"
#include "vmm/log.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

/* After the panic banner, let the guest finish printing its backtrace. */
#define PANIC_GRACE_NS	1500000000ull

int vm_init(struct vm *vm)
{
	memset(vm, 0, sizeof(*vm));
	vm->start_ns = clock_ns();
	vm->exit_code = -1;
	vcpu_barrier_init(&vm->barrier);
	mmio_init(&vm->mmio);
	irq_init(&vm->routes, &vm->kvm);
	vm->exit_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	return vm->exit_fd < 0 ? -errno : 0;
}

void vm_request_exit(struct vm *vm, int code, const char *fmt, ...)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	uint64_t one = 1;
	va_list ap;

	pthread_mutex_lock(&lock);
	if (vm->exit_code < 0) {
		va_start(ap, fmt);
		vsnprintf(vm->exit_msg, sizeof(vm->exit_msg), fmt, ap);
		va_end(ap);
		vm->exit_code = code;
		(void)!write(vm->exit_fd, &one, sizeof(one));
	}
	pthread_mutex_unlock(&lock);
}

int vm_watch_fd(struct vm *vm, int fd, void (*fn)(void *ctx), void *ctx)
{
	if (vm->nwatches == VM_MAX_WATCHES)
		return -ENOSPC;
	vm->watches[vm->nwatches++] = (struct vm_watch){ fd, fn, ctx };
	return 0;
}

#define VM_PAUSE_DRAIN_MS	100

int64_t vm_pause(struct vm *vm)
{
	uint64_t t0 = clock_ns();
	int rc;

	vcpus_pause(vm);
	rc = devices_pause(vm);
	if (rc) {
		vcpus_resume(vm);
		return rc;
	}
	/* Why: what the guest wrote before the pause is out before the pause
	 * is reported (a snapshot's caller reads the console to know where
	 * the guest stopped); bounded, so a stopped terminal cannot hold it. */
	console_drain(vm->console, VM_PAUSE_DRAIN_MS);
	return (int64_t)(clock_ns() - t0);
}

int vm_resume(struct vm *vm)
{
	int rc = devices_resume(vm);

	vcpus_resume(vm);
	return rc;
}

/* SIGUSR2: pause the guest, print where each vCPU is, resume. */
static void dump_vcpus(struct vm *vm)
{
	int64_t ns = vm->paused ? 0 : vm_pause(vm);	/* already stopped: just look */
	char line[160];

	if (ns < 0)
		return;
	log_msg("paused %u vCPUs and %u devices in %lld us", vm->ncpus, vm->ndevices,
		(long long)ns / 1000);
	for (unsigned i = 0; i < vm->ncpus && vm->describe_vcpu; i++)
		if (!vm->describe_vcpu(&vm->vcpus[i], line, sizeof(line)))
			log_msg("vCPU %u: %s", i, line);
	if (!vm->paused)
		vm_resume(vm);
}

static void on_signal(struct vm *vm, int fd)
{
	struct signalfd_siginfo si;

	if (read(fd, &si, sizeof(si)) != sizeof(si))
		return;
	if (si.ssi_signo == SIGUSR2)
		dump_vcpus(vm);
	else
		vm_request_exit(vm, VM_EXIT_ERROR, "stopped by signal %u", si.ssi_signo);
}

static int open_signalfd(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR2);
	/* Blocked before the vCPU threads start, so they inherit the mask. */
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

static int poll_timeout_ms(struct vm *vm)
{
	uint64_t seen = console_panic_ns(vm->console), now = clock_ns();

	if (!seen)
		return -1;
	if (now >= seen + PANIC_GRACE_NS) {
		vm_request_exit(vm, VM_EXIT_PANIC, "guest kernel panicked (see its last console lines above)");
		return 0;
	}
	return (int)((seen + PANIC_GRACE_NS - now) / 1000000) + 1;
}

/* Poll order: exit, signals, device watches, then the console's fds. */
static void serve(struct vm *vm, int sig_fd)
{
	struct pollfd fds[2 + VM_MAX_WATCHES + 2];
	unsigned w = vm->nwatches, con = 2 + w;
	int n;

	while (vm->exit_code < 0) {
		fds[0] = (struct pollfd){ .fd = vm->exit_fd, .events = POLLIN };
		fds[1] = (struct pollfd){ .fd = sig_fd, .events = POLLIN };
		for (unsigned i = 0; i < w; i++)
			fds[2 + i] = (struct pollfd){ .fd = vm->watches[i].fd, .events = POLLIN };
		n = con + console_pollfds(vm->console, fds + con);
		if (poll(fds, n, poll_timeout_ms(vm)) < 0 && errno != EINTR)
			break;
		if (fds[1].revents)
			on_signal(vm, sig_fd);
		for (unsigned i = 0; i < w; i++)
			if (fds[2 + i].revents)
				vm->watches[i].fn(vm->watches[i].ctx);
		if (console_service(vm->console, fds + con, n - con))
			vm_request_exit(vm, VM_EXIT_POWEROFF, "quit at the user's request (Ctrl-A x)");
	}
}

/* Resident KiB of guest RAM and of everything else, from smaps. */
static void rss_split(const struct vm *vm, unsigned long long *own,
		      unsigned long long *guest)
{
	uintptr_t lo = (uintptr_t)vm->ram.hva, hi = lo + vm->ram.size, start = 0, end;
	unsigned long long kib;
	char line[256];
	FILE *f = fopen("/proc/self/smaps", "r");

	*own = *guest = 0;
	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &start, &end) == 2)
			continue;
		if (sscanf(line, "Rss: %llu kB", &kib) == 1)
			*(start >= lo && start < hi ? guest : own) += kib;
	}
	if (f)
		fclose(f);
}

static void print_stats(struct vm *vm)
{
	uint64_t mark = console_mark_ns(vm->console), first = vm->first_run_ns;
	unsigned long long own, guest;

	rss_split(vm, &own, &guest);
	fprintf(stderr, "itsy-stats first_run_us=%llu load_us=%llu mark_us=%llu rss_kib=%llu guest_ram_kib=%llu\n",
		(unsigned long long)(first ? (first - vm->start_ns) / 1000 : 0),
		(unsigned long long)(vm->load_ns / 1000),
		(unsigned long long)(mark ? (mark - vm->start_ns) / 1000 : 0), own, guest);
}

int vm_run(struct vm *vm)
{
	int sig_fd = open_signalfd();
	int rc;

	console_start(vm->console);
	rc = vcpus_start(vm);
	if (rc)
		vm_request_exit(vm, VM_EXIT_ERROR, "cannot start vCPU threads: %s", strerror(-rc));
	/* Why only now: the vCPU threads were made unconfined (their own
	 * filter is theirs alone), and set-up is over. */
	if (!rc && (rc = sandbox_enter(SANDBOX_MAIN)))
		vm_request_exit(vm, VM_EXIT_ERROR, "cannot confine the main thread (seccomp): %s",
				strerror(-rc));
	serve(vm, sig_fd);
	console_close(vm->console);
	if (getenv("ITSY_STATS"))
		print_stats(vm);
	log_msg("%s", vm->exit_msg);
	return vm->exit_code;
}
