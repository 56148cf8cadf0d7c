/* Confinement: once set up, every thread of itsy runs under a seccomp-bpf
 * filter (built with libseccomp) that allows the system calls its kind of
 * thread needs, and for ioctl only the request numbers it uses.
 *
 * The kinds and where each is entered:
 *  - SANDBOX_DEVICE: a device's I/O thread (devices/virtio) and the
 *    console's writer, at their first instruction; both are made at
 *    start-up and live as long as the VM.
 *  - SANDBOX_VCPU: a vCPU thread, before its first KVM_RUN. MMIO exits run
 *    device models here (PCI config, MSI routes, doorbells, vhost set-up).
 *  - SANDBOX_MAIN: the main thread (control socket, console input,
 *    snapshots, signals), once it has started the vCPUs (vm_run).
 *  - SANDBOX_MIGRATION: the migration thread, which the main thread makes
 *    when asked: it inherits the main thread's filter and adds its own.
 * Why the order matters: a filter holds for the thread that loads it and
 * for every thread it makes afterwards, on top of theirs. So threads are
 * made before their maker is confined, except the migration thread, whose
 * needs the main thread's list includes.
 *
 * Modes (--seccomp): kill (default): a forbidden call stops itsy at once
 * with one line naming the thread kind and the call's number, exit status
 * VM_EXIT_SANDBOX; log: the call is allowed and the kernel logs it (audit
 * type 1326); off: no filter. PR_SET_NO_NEW_PRIVS is set in every mode,
 * off included: nothing itsy runs may gain privileges.
 *
 * Until sandbox_configure() is called, sandbox_enter() does nothing: unit
 * tests and the subcommands that run no guest are not confined. */
#ifndef ITSY_SANDBOX_H
#define ITSY_SANDBOX_H

enum sandbox_kind { SANDBOX_MAIN, SANDBOX_VCPU, SANDBOX_DEVICE, SANDBOX_MIGRATION };
enum sandbox_mode { SANDBOX_KILL, SANDBOX_LOG, SANDBOX_OFF };

/* "kill", "log" or "off" into *@out; -EINVAL otherwise. */
int sandbox_parse_mode(const char *s, enum sandbox_mode *out);

/* Once, at start-up, before any thread that will enter is made. */
void sandbox_configure(enum sandbox_mode mode);

/* Confine the calling thread as @kind. 0, or -errno when the filter
 * cannot be built or loaded (then the thread runs unconfined and the
 * caller says so). Test hook: with ITSY_TEST_SECCOMP=KIND in the
 * environment (main, vcpu, device, migration), a thread of that kind
 * makes a forbidden call right after entering. */
int sandbox_enter(enum sandbox_kind kind);

/* Block every signal in the calling thread except the ones its own
 * faults and its filter raise (SIGSYS, SIGSEGV, SIGBUS, SIGILL, SIGFPE,
 * SIGTRAP). Why not all: the kernel delivers a blocked one of those with
 * its default action, so a filter trip would kill itsy by signal instead
 * of reaching the handler that names the call and exits with status 6. */
void sandbox_block_signals(void);

/* "main", "vcpu", "device", "migration". */
const char *sandbox_kind_name(enum sandbox_kind kind);

#endif
