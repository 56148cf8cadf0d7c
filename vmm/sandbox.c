#include "vmm/sandbox.h"
#include "vmm/vm.h"

#include <errno.h>
#include <linux/kvm.h>
#include <linux/userfaultfd.h>
#include <linux/vhost.h>
#include <linux/fs.h>
#include <linux/if_tun.h>
#include <seccomp.h>
#include <signal.h>
#include <ucontext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

/* ---- what each kind may call (names; those a CPU lacks are skipped) ---- */

/* Every thread: memory, locks, signals' return, time, logging, exit. */
static const char *const common_calls[] = {
	"read", "write", "readv", "writev", "close", "futex", "rt_sigreturn",
	"rt_sigprocmask", "madvise", "mmap", "munmap", "mprotect", "mremap", "brk",
	"exit", "exit_group", "clock_gettime", "clock_nanosleep", "nanosleep",
	"gettid", "getpid", "tgkill", "sched_yield", "restart_syscall", "getrandom",
	"fstat", "newfstatat", "lseek", "set_robust_list", "rseq",
	"sigaltstack",	/* sanitizer runtimes, at a thread's start */
	NULL,
};

/* Device I/O: its epoll loop, disk requests, tap frames, entropy. */
static const char *const device_calls[] = {
	"epoll_create1", "epoll_ctl", "epoll_pwait", "epoll_pwait2", "pread64",
	"pwrite64", "preadv", "pwritev", "preadv2", "pwritev2", "fdatasync", "fsync",
	"fallocate",
	"io_uring_enter",	/* virtio-blk's ring, made at start-up */
	NULL,
};

/* A vCPU: KVM_RUN, and device models behind MMIO exits (the watchdog's
 * timer, eventfds written with write). */
static const char *const vcpu_calls[] = {
	"timerfd_settime", "timerfd_gettime", "ppoll", NULL,
};

/* The migration thread: the link, the dirty log, letting go of and taking
 * back disks, taps and vsock CIDs, the ITSY_MIGRATE_DUMP test hook. */
static const char *const migration_calls[] = {
	"socket", "connect", "setsockopt", "getsockopt", "getsockname", "getpeername",
	"ppoll", "sendto", "recvfrom", "sendmsg", "recvmsg", "shutdown", "openat",
	"ftruncate", "pwrite64", "pread64", "fsync", "fdatasync", "flock", "fadvise64",
	"eventfd2", "timerfd_settime", "epoll_ctl", "uname", NULL,
};

/* The main thread: all of the migration thread's (it makes it, and the
 * thread loads its own filter on top: seccomp), plus the control socket,
 * the console, signals and snapshots. */
static const char *const main_calls[] = {
	"seccomp",
	"accept", "accept4", "bind", "listen", "pselect6", "epoll_pwait", "mkdirat",
	"unlinkat", "renameat", "renameat2", "fchmod", "fchmodat", "statx",
	"faccessat", "readlinkat", "getdents64", "fallocate", "clone", "clone3",
	"rt_sigaction", "sched_getaffinity", "dup", "dup3", "pipe2", "fcntl",
	"uname", "sysinfo", "timerfd_gettime", "mincore", NULL,
};

/* ---- and which ioctls ---- */

static const unsigned long vcpu_ioctls[] = {
	KVM_RUN, KVM_SET_GSI_ROUTING, KVM_IOEVENTFD, KVM_IRQFD, KVM_IRQ_LINE,
	KVM_GET_ONE_REG, KVM_SET_ONE_REG,	/* answering a forwarded hypercall */
	VHOST_SET_FEATURES, VHOST_SET_MEM_TABLE, VHOST_SET_VRING_NUM,
	VHOST_SET_VRING_BASE, VHOST_GET_VRING_BASE, VHOST_SET_VRING_ADDR,
	VHOST_SET_VRING_KICK, VHOST_SET_VRING_CALL, VHOST_VSOCK_SET_RUNNING,
	VHOST_SET_LOG_BASE,
};

static const unsigned long device_ioctls[] = { BLKDISCARD, BLKZEROOUT };

/* arm64's own: the native unit-test build has another architecture's KVM
 * headers. */
#ifdef __aarch64__
#define ARM64_MIGRATION_IOCTLS	KVM_ARM_GET_REG_WRITABLE_MASKS,
#else
#define ARM64_MIGRATION_IOCTLS
#endif

/* Saving state (vGIC, ITS, vCPU registers), the dirty log, vhost rings,
 * reopening a tap or a vsock device, the terminal, placing post-copy
 * pages. */
static const unsigned long migration_ioctls[] = {
	KVM_GET_DIRTY_LOG, KVM_CLEAR_DIRTY_LOG, KVM_SET_USER_MEMORY_REGION,
	KVM_GET_DEVICE_ATTR, KVM_SET_DEVICE_ATTR, KVM_HAS_DEVICE_ATTR,
	KVM_GET_ONE_REG, KVM_SET_ONE_REG, KVM_GET_REG_LIST, KVM_GET_MP_STATE,
	KVM_SET_MP_STATE, KVM_CHECK_EXTENSION, KVM_ENABLE_CAP, KVM_SET_GSI_ROUTING, KVM_IRQFD,
	KVM_IOEVENTFD, KVM_IRQ_LINE, ARM64_MIGRATION_IOCTLS
	VHOST_SET_OWNER, VHOST_GET_FEATURES, VHOST_SET_FEATURES, VHOST_SET_MEM_TABLE,
	VHOST_SET_VRING_NUM, VHOST_SET_VRING_BASE, VHOST_GET_VRING_BASE,
	VHOST_SET_VRING_ADDR, VHOST_SET_VRING_KICK, VHOST_SET_VRING_CALL,
	VHOST_SET_LOG_BASE, VHOST_VSOCK_SET_GUEST_CID, VHOST_VSOCK_SET_RUNNING,
	TUNSETIFF, TUNGETIFF, TUNSETVNETHDRSZ, TUNSETOFFLOAD, BLKGETSIZE64,
	TCGETS, TCSETS, TCSETSW, TCSETSF, TIOCGWINSZ,
	/* post-copy's threads (migration/postcopy.h) */
	UFFDIO_COPY, UFFDIO_ZEROPAGE, UFFDIO_WAKE, UFFDIO_UNREGISTER,
};

struct kind {
	const char *name;
	const char *const *calls[3];
	const unsigned long *ioctls[2];
	size_t nioctls[2];
};

#define N(a)	(sizeof(a) / sizeof((a)[0]))

static const struct kind kinds[] = {
	[SANDBOX_MAIN] = { "main", { common_calls, migration_calls, main_calls },
			   { migration_ioctls, vcpu_ioctls }, { N(migration_ioctls), N(vcpu_ioctls) } },
	[SANDBOX_VCPU] = { "vcpu", { common_calls, vcpu_calls },
			   { vcpu_ioctls }, { N(vcpu_ioctls) } },
	[SANDBOX_DEVICE] = { "device", { common_calls, device_calls },
			     { device_ioctls }, { N(device_ioctls) } },
	[SANDBOX_MIGRATION] = { "migration", { common_calls, migration_calls, device_calls },
				{ migration_ioctls, vcpu_ioctls },
				{ N(migration_ioctls), N(vcpu_ioctls) } },
};

/* ---- state ---- */

static int configured;
static enum sandbox_mode mode = SANDBOX_OFF;
static const char *test_trip;		/* ITSY_TEST_SECCOMP */
static __thread int my_kind = -1;

const char *sandbox_kind_name(enum sandbox_kind kind)
{
	return (unsigned)kind < N(kinds) ? kinds[kind].name : "?";
}

int sandbox_parse_mode(const char *s, enum sandbox_mode *out)
{
	static const char *const names[] = { [SANDBOX_KILL] = "kill", [SANDBOX_LOG] = "log",
					     [SANDBOX_OFF] = "off" };

	for (unsigned i = 0; i < N(names); i++)
		if (!strcmp(s, names[i])) {
			*out = i;
			return 0;
		}
	return -EINVAL;
}

/* ---- a forbidden call: one line, then the whole process ends ---- */

static size_t put_str(char *buf, size_t at, const char *s)
{
	while (*s && at < 200)
		buf[at++] = *s++;
	return at;
}

/* @v in base @base (10 or 16, with 0x). */
static size_t put_num(char *buf, size_t at, unsigned long v, unsigned base)
{
	char tmp[24];
	int n = 0;

	if (base == 16)
		at = put_str(buf, at, "0x");
	do
		tmp[n++] = "0123456789abcdef"[v % base];
	while ((v /= base) && n < 23);
	while (n && at < 200)
		buf[at++] = tmp[--n];
	return at;
}

/* The forbidden call's second argument: an ioctl's request number. */
static unsigned long arg1(const void *uc)
{
#if defined(__aarch64__)
	return ((const ucontext_t *)uc)->uc_mcontext.regs[1];
#elif defined(__x86_64__)
	return ((const ucontext_t *)uc)->uc_mcontext.gregs[REG_RSI];
#else
	(void)uc;
	return 0;
#endif
}

/* Async-signal-safe: only write and exit_group, both allowed to all. */
static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
	char line[256];
	size_t n = 0;

	(void)sig;
	n = put_str(line, n, "itsy: seccomp: a ");
	n = put_str(line, n, my_kind >= 0 ? sandbox_kind_name(my_kind) : "?");
	n = put_str(line, n, " thread made system call ");
	n = put_num(line, n, (unsigned)si->si_syscall, 10);
	if (si->si_syscall == SYS_ioctl) {
		n = put_str(line, n, " (ioctl ");
		n = put_num(line, n, arg1(uc), 16);
		n = put_str(line, n, ")");
	}
	n = put_str(line, n, ", which its filter does not allow; stopping\r\n");
	(void)!write(STDERR_FILENO, line, n);
	syscall(SYS_exit_group, VM_EXIT_SANDBOX);
}

void sandbox_configure(enum sandbox_mode m)
{
	struct sigaction sa = { .sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO };

	mode = m;
	configured = 1;
	test_trip = getenv("ITSY_TEST_SECCOMP");
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	sigaction(SIGSYS, &sa, NULL);
}

void sandbox_block_signals(void)
{
	static const int sync_sigs[] = { SIGSYS, SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP };
	sigset_t set;

	sigfillset(&set);
	for (unsigned i = 0; i < N(sync_sigs); i++)
		sigdelset(&set, sync_sigs[i]);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
}

/* ---- building and loading a kind's filter ---- */

static int add_calls(scmp_filter_ctx ctx, const char *const *names)
{
	int rc = 0;

	for (; names && *names && !rc; names++) {
		int nr = seccomp_syscall_resolve_name(*names);

		if (nr != __NR_SCMP_ERROR)	/* else not on this CPU */
			rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
	}
	return rc;
}

static int add_ioctls(scmp_filter_ctx ctx, const unsigned long *req, size_t n)
{
	int rc = 0;

	for (size_t i = 0; i < n && !rc; i++)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
				      SCMP_A1(SCMP_CMP_EQ, (scmp_datum_t)req[i]));
	return rc;
}

static int load(const struct kind *k)
{
	scmp_filter_ctx ctx = seccomp_init(mode == SANDBOX_LOG ? SCMP_ACT_LOG : SCMP_ACT_TRAP);
	int rc = ctx ? 0 : -ENOMEM;

	/* NO_NEW_PRIVS is already set (sandbox_configure): no prctl here,
	 * which a thread stacking a filter on main's may not make. */
	if (!rc)
		rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	for (unsigned i = 0; !rc && i < N(k->calls); i++)
		rc = add_calls(ctx, k->calls[i]);
	for (unsigned i = 0; !rc && i < N(k->ioctls); i++)
		rc = add_ioctls(ctx, k->ioctls[i], k->nioctls[i]);
	rc = rc ? rc : seccomp_load(ctx);
	seccomp_release(ctx);
	return rc;
}

int sandbox_enter(enum sandbox_kind kind)
{
	int rc;

	if (!configured || mode == SANDBOX_OFF || (unsigned)kind >= N(kinds))
		return 0;
	my_kind = kind;
	rc = load(&kinds[kind]);
	if (!rc && test_trip && !strcmp(test_trip, kinds[kind].name))
		syscall(SYS_personality, 0xffffffffUL);	/* in no list */
	return rc;
}
