/* Confinement (vmm/sandbox.c), natively: each test forks a child that
 * configures a mode, enters a thread kind and makes calls; the parent
 * reads how it ended and what it said on stderr. */
#include "vmm/sandbox.h"
#include "vmm/vm.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/unit/unit.h"

static char said[512];

/* Run @fn in a child with stderr into a pipe; its exit status (or 128 +
 * the signal). */
static int in_child(void (*fn)(void))
{
	int p[2], st;
	ssize_t n;
	pid_t pid;

	ck_assert_int_eq(pipe(p), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (!pid) {
		dup2(p[1], STDERR_FILENO);
		fn();
		_exit(0);
	}
	close(p[1]);
	n = read(p[0], said, sizeof(said) - 1);
	said[n > 0 ? n : 0] = 0;
	close(p[0]);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void forbidden(void)
{
	syscall(SYS_personality, 0xffffffffUL);
}

/* End the child with exit_group itself: _exit() is noreturn, and before a
 * noreturn call AddressSanitizer makes calls (sigaltstack) of its own. */
static void leave(int code)
{
	syscall(SYS_exit_group, code);
}

static void kill_device(void)
{
	sandbox_configure(SANDBOX_KILL);
	if (sandbox_enter(SANDBOX_DEVICE))
		leave(99);
	forbidden();
	leave(0);
}

START_TEST(kill_names_kind_and_call)
{
	char want[96];

	ck_assert_int_eq(in_child(kill_device), VM_EXIT_SANDBOX);
	snprintf(want, sizeof(want), "a device thread made system call %d,", (int)SYS_personality);
	ck_assert_msg(strstr(said, want), "stderr: %s", said);
}
END_TEST

/* As a device thread starts: signals blocked, then the filter. */
static void blocked_device(void)
{
	sandbox_configure(SANDBOX_KILL);
	sandbox_block_signals();
	if (sandbox_enter(SANDBOX_DEVICE))
		leave(99);
	forbidden();
	leave(0);
}

/* A thread that blocks its signals still gets the named stop, not a
 * death by SIGSYS (the kernel's default action for a blocked one). */
START_TEST(kill_reaches_a_blocked_thread)
{
	ck_assert_int_eq(in_child(blocked_device), VM_EXIT_SANDBOX);
	ck_assert_msg(strstr(said, "a device thread made system call"), "stderr: %s", said);
}
END_TEST

static void log_device(void)
{
	sandbox_configure(SANDBOX_LOG);
	if (sandbox_enter(SANDBOX_DEVICE))
		leave(99);
	forbidden();
	leave(0);
}

/* A forbidden ioctl is named with its request number. */
static void bad_ioctl(void)
{
	sandbox_configure(SANDBOX_KILL);
	if (sandbox_enter(SANDBOX_DEVICE))
		leave(99);
	syscall(SYS_ioctl, 0, 0x1234abcdUL, 0);
	leave(0);
}

START_TEST(kill_names_the_ioctl)
{
	ck_assert_int_eq(in_child(bad_ioctl), VM_EXIT_SANDBOX);
	ck_assert_msg(strstr(said, "(ioctl 0x1234abcd)"), "stderr: %s", said);
}
END_TEST

START_TEST(log_lets_it_run)
{
	ck_assert_int_eq(in_child(log_device), 0);
}
END_TEST

static void off_device(void)
{
	sandbox_configure(SANDBOX_OFF);
	if (sandbox_enter(SANDBOX_DEVICE))
		leave(99);
	forbidden();
	leave(0);
}

START_TEST(off_is_off)
{
	ck_assert_int_eq(in_child(off_device), 0);
}
END_TEST

/* What a vCPU thread does between exits is allowed: memory, writes,
 * a futex-based lock. */
static void vcpu_work(void)
{
	static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
	char *p;

	sandbox_configure(SANDBOX_KILL);
	if (sandbox_enter(SANDBOX_VCPU))
		leave(99);
	p = malloc(4 << 20);
	memset(p, 1, 4 << 20);
	free(p);
	pthread_mutex_lock(&m);
	pthread_mutex_unlock(&m);
	(void)!write(STDERR_FILENO, "ok", 2);
	leave(0);
}

START_TEST(vcpu_everyday_calls)
{
	ck_assert_int_eq(in_child(vcpu_work), 0);
	ck_assert_str_eq(said, "ok");
}
END_TEST

static void hook_main(void)
{
	setenv("ITSY_TEST_SECCOMP", "main", 1);
	sandbox_configure(SANDBOX_KILL);
	sandbox_enter(SANDBOX_DEVICE);	/* not the kind asked for: nothing */
	leave(sandbox_enter(SANDBOX_MAIN) ? 99 : 0);
}

START_TEST(test_hook_trips_its_kind)
{
	ck_assert_int_eq(in_child(hook_main), VM_EXIT_SANDBOX);
	ck_assert_msg(strstr(said, "a main thread made"), "stderr: %s", said);
}
END_TEST

/* The migration thread: made by a confined main thread, it loads its own
 * filter on top of main's, and opens its link. */
static void *migration_thread(void *arg)
{
	int fd;

	*(int *)arg = sandbox_enter(SANDBOX_MIGRATION);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd >= 0)
		close(fd);
	return NULL;
}

static void main_makes_migration(void)
{
	pthread_t t;
	int rc = -1;

	sandbox_configure(SANDBOX_KILL);
	if (sandbox_enter(SANDBOX_MAIN) || pthread_create(&t, NULL, migration_thread, &rc))
		leave(99);
	pthread_join(t, NULL);
	leave(rc ? 98 : 0);
}

START_TEST(migration_stacks_on_main)
{
	ck_assert_msg(in_child(main_makes_migration) == 0, "stderr: %s", said);
}
END_TEST

/* Every kind's filter builds and loads (log mode: nothing is refused). */
static void load_all(void)
{
	sandbox_configure(SANDBOX_LOG);
	for (int k = SANDBOX_MAIN; k <= SANDBOX_MIGRATION; k++)
		if (sandbox_enter(k))
			leave(10 + k);
	leave(0);
}

START_TEST(every_kind_loads)
{
	ck_assert_int_eq(in_child(load_all), 0);
}
END_TEST

START_TEST(modes_parse)
{
	enum sandbox_mode m;

	ck_assert_int_eq(sandbox_parse_mode("kill", &m), 0);
	ck_assert_int_eq(m, SANDBOX_KILL);
	ck_assert_int_eq(sandbox_parse_mode("log", &m), 0);
	ck_assert_int_eq(m, SANDBOX_LOG);
	ck_assert_int_eq(sandbox_parse_mode("off", &m), 0);
	ck_assert_int_eq(m, SANDBOX_OFF);
	ck_assert_int_lt(sandbox_parse_mode("strict", &m), 0);
	ck_assert_int_lt(sandbox_parse_mode("", &m), 0);
	ck_assert_str_eq(sandbox_kind_name(SANDBOX_MIGRATION), "migration");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sandbox");

	UNIT_TCASE(s, "filters", kill_names_kind_and_call, kill_reaches_a_blocked_thread,
		   kill_names_the_ioctl, log_lets_it_run,
		   off_is_off,
		   vcpu_everyday_calls, test_hook_trips_its_kind, migration_stacks_on_main,
		   every_kind_loads, modes_parse);
	return unit_run(s);
}
