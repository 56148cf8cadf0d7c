/* "itsy run" command-line parsing (vmm/cli.c). */
#include "vmm/front/cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tests/unit/unit.h"

#define MiB(x)	((uint64_t)(x) << 20)
#define GiB(x)	((uint64_t)(x) << 30)

static const struct config_limits lim = { .max_cpus = 64, .max_mem = GiB(255) };
static struct run_config cfg;
static char err[256];
static char kernel[4096];	/* an existing, empty regular file */

static void setup(void)
{
	const char *dir = getenv("TMPDIR");
	int fd;

	snprintf(kernel, sizeof(kernel), "%s/itsy-kernel-XXXXXX", dir ? dir : "/tmp");
	fd = mkstemp(kernel);
	ck_assert_int_ge(fd, 0);
	close(fd);
}

static void teardown(void)
{
	unlink(kernel);
}

/* cli_parse_run() of "run" followed by the NULL-terminated arguments. */
static int run(const char *arg, ...)
{
	char *argv[32] = { "run" };
	int argc = 1, rc;
	va_list ap;

	va_start(ap, arg);
	for (; arg; arg = va_arg(ap, const char *)) {
		ck_assert_int_lt(argc, 31);
		argv[argc++] = (char *)arg;
	}
	va_end(ap);
	memset(err, 0, sizeof(err));
	rc = cli_parse_run(argc, argv, &lim, &cfg, err, sizeof(err));
	if (rc)
		ck_assert_int_eq(rc, -EINVAL);
	return rc;
}

/* The last run() failed with a message that mentions @needle. */
static void assert_error(const char *needle)
{
	ck_assert_msg(err[0] != '\0', "no error message");
	ck_assert_msg(strstr(err, needle) != NULL, "error \"%s\" does not mention \"%s\"",
		      err, needle);
}

START_TEST(full_command_line)
{
	ck_assert_int_eq(run("--kernel", kernel, "--initrd", kernel, "--cmdline",
			     "console=ttyS0 quiet", "--cpus", "4", "--mem", "2G",
			     "--kernel-format", "image", "--pmu", NULL), 0);
	ck_assert_str_eq(cfg.kernel, kernel);
	ck_assert_str_eq(cfg.initrd, kernel);
	ck_assert_str_eq(cfg.cmdline, "console=ttyS0 quiet");
	ck_assert_uint_eq(cfg.cpus, 4);
	ck_assert_uint_eq(cfg.mem, GiB(2));
	ck_assert_int_eq(cfg.kernel_format, KERNEL_IMAGE);
	ck_assert_int_eq(cfg.pmu, 1);
}
END_TEST

START_TEST(defaults)
{
	ck_assert_int_eq(run("--kernel", kernel, NULL), 0);
	ck_assert_ptr_null(cfg.initrd);
	ck_assert_ptr_null(cfg.cmdline);
	ck_assert_uint_eq(cfg.cpus, 1);
	ck_assert_uint_eq(cfg.mem, CLI_DEFAULT_MEM);
	ck_assert_int_eq(cfg.kernel_format, KERNEL_IMAGE);
	ck_assert_int_eq(cfg.pmu, 0);
}
END_TEST

/* SVE and PV stolen time: on unless told (the host decides the
 * longest SVE length unless --sve-vl pins one). */
START_TEST(sve_and_pvtime)
{
	ck_assert_int_eq(run("--kernel", kernel, NULL), 0);
	ck_assert_int_eq(cfg.sve_vl, CONFIG_SVE_HOST);
	ck_assert_int_eq(cfg.no_pvtime, 0);
	ck_assert_int_eq(run("--kernel", kernel, "--sve-vl", "512", "--no-pvtime", NULL), 0);
	ck_assert_int_eq(cfg.sve_vl, 512);
	ck_assert_int_eq(cfg.no_pvtime, 1);
	ck_assert_int_eq(run("--kernel", kernel, "--sve-vl", "off", NULL), 0);
	ck_assert_int_eq(cfg.sve_vl, CONFIG_SVE_OFF);
	ck_assert_int_eq(run("--kernel", kernel, "--sve-vl", "384", NULL), 0);
	ck_assert_int_eq(run("--kernel", kernel, "--sve-vl", "200", NULL), -EINVAL);
	assert_error("--sve-vl '200'");
	ck_assert_int_eq(run("--kernel", kernel, "--sve-vl", "4096", NULL), -EINVAL);
	ck_assert_int_eq(run("--kernel", kernel, "--sve-vl", "", NULL), -EINVAL);
}
END_TEST

START_TEST(equals_syntax_and_limits)
{
	ck_assert_int_eq(run("--kernel=x", "--kernel", kernel, "--cpus=64", "--mem=255G", NULL), 0);
	ck_assert_uint_eq(cfg.cpus, 64);
	ck_assert_uint_eq(cfg.mem, GiB(255));
	ck_assert_str_eq(cfg.kernel, kernel);	/* the last one wins */
}
END_TEST

START_TEST(mem_rejected)
{
	static const char *const bad[] = { "0", "3M", "30M", "33M", "256G", "lots", "" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_eq(run("--kernel", kernel, "--mem", bad[i], NULL), -EINVAL);
		assert_error("--mem");
	}
	run("--kernel", kernel, "--mem", "33M", NULL);
	assert_error("multiple of 2M");
	ck_assert_int_eq(run("--kernel", kernel, "--mem", "32M", NULL), 0);
}
END_TEST

START_TEST(cpus_rejected)
{
	static const char *const bad[] = { "0", "9999", "abc", "65", "-1", "2x", "" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_eq(run("--kernel", kernel, "--cpus", bad[i], NULL), -EINVAL);
		assert_error("--cpus");
	}
}
END_TEST

START_TEST(missing_kernel_file)
{
	ck_assert_int_eq(run("--kernel", "/nonexistent/itsy/Image", NULL), -EINVAL);
	assert_error("/nonexistent/itsy/Image");
	ck_assert_int_eq(run("--kernel", "/", NULL), -EINVAL);	/* a directory */
	assert_error("not a regular file");
}
END_TEST

START_TEST(missing_initrd_file)
{
	ck_assert_int_eq(run("--kernel", kernel, "--initrd", "/nonexistent/initrd.gz", NULL),
			 -EINVAL);
	assert_error("/nonexistent/initrd.gz");
	assert_error("initrd");
}
END_TEST

START_TEST(kernel_required)
{
	ck_assert_int_eq(run("--cpus", "2", NULL), -EINVAL);
	assert_error("--kernel");
}
END_TEST

START_TEST(unknown_option)
{
	ck_assert_int_eq(run("--kernel", kernel, "--frobnicate", NULL), -EINVAL);
	assert_error("--frobnicate");
	ck_assert_int_eq(run("-x", "--kernel", kernel, NULL), -EINVAL);
	assert_error("-x");
}
END_TEST

START_TEST(option_without_value)
{
	ck_assert_int_eq(run("--kernel", kernel, "--cpus", NULL), -EINVAL);
	assert_error("--cpus");
	assert_error("value");
}
END_TEST

START_TEST(stray_argument)
{
	ck_assert_int_eq(run("--kernel", kernel, "extra", NULL), -EINVAL);
	assert_error("extra");
}
END_TEST

START_TEST(kernel_format)
{
	ck_assert_int_eq(run("--kernel", kernel, "--kernel-format", "raw", NULL), 0);
	ck_assert_int_eq(cfg.kernel_format, KERNEL_RAW);
	ck_assert_int_eq(run("--kernel", kernel, "--kernel-format", "elf", NULL), -EINVAL);
	assert_error("elf");
}
END_TEST

/* getopt state left by one parse must not leak into the next. */
START_TEST(parse_twice)
{
	ck_assert_int_eq(run("--kernel", kernel, "--cpus", "2", "--frobnicate", "--mem", "1G", NULL),
			 -EINVAL);
	ck_assert_int_eq(run("--kernel", kernel, "--cpus", "3", NULL), 0);
	ck_assert_uint_eq(cfg.cpus, 3);
	ck_assert_uint_eq(cfg.mem, CLI_DEFAULT_MEM);
	ck_assert_int_eq(run("--mem", "1G", "--kernel", kernel, NULL), 0);
	ck_assert_uint_eq(cfg.cpus, 1);
	ck_assert_uint_eq(cfg.mem, GiB(1));
}
END_TEST

/* Device options are checked by their kind and kept as given, in order. */
static void assert_device(unsigned i, const char *kind, const char *arg)
{
	ck_assert_uint_gt(cfg.ndevices, i);
	ck_assert_str_eq(cfg.devices[i].kind, kind);
	ck_assert_str_eq(cfg.devices[i].arg, arg);
}

START_TEST(disks)
{
	static char ro[sizeof(kernel) + 4];

	snprintf(ro, sizeof(ro), "%s,ro", kernel);
	ck_assert_int_eq(run("--kernel", kernel, "--disk", kernel, "--disk", ro, NULL), 0);
	ck_assert_uint_eq(cfg.ndevices, 2);
	assert_device(0, "virtio-blk", kernel);
	assert_device(1, "virtio-blk", ro);
	ck_assert_uint_eq(config_count(&cfg, "virtio-blk"), 2);
	ck_assert_int_eq(run("--kernel", kernel, "--disk", "/nonexistent/d.img", NULL), -EINVAL);
	assert_error("disk '/nonexistent/d.img'");
	ck_assert_int_eq(run("--kernel", kernel, "--disk", ",ro", NULL), -EINVAL);
	assert_error("--disk");
}
END_TEST

START_TEST(nics)
{
	ck_assert_int_eq(run("--kernel", kernel, "--net", "tap=itsy0,mac=52:54:00:12:34:56",
			     "--net", "tap=itsy1", NULL), 0);
	ck_assert_uint_eq(cfg.ndevices, 2);
	assert_device(0, "virtio-net", "tap=itsy0,mac=52:54:00:12:34:56");
	assert_device(1, "virtio-net", "tap=itsy1");
	ck_assert_int_eq(run("--kernel", kernel, "--net", "mac=52:54:00:12:34:56", NULL), -EINVAL);
	assert_error("tap=NAME is required");
	ck_assert_int_eq(run("--kernel", kernel, "--net", "tap=x,mac=01:00:5e:00:00:01", NULL), -EINVAL);
	assert_error("mac=01:00:5e:00:00:01");	/* multicast */
	ck_assert_int_eq(run("--kernel", kernel, "--net", "tap=0123456789abcdef", NULL), -EINVAL);
	ck_assert_int_eq(run("--kernel", kernel, "--net", "tap=x,speed=10", NULL), -EINVAL);
	assert_error("speed=10");
}
END_TEST

/* Devices sit in the order given, whatever their kinds. */
START_TEST(mixed_order)
{
	ck_assert_int_eq(run("--kernel", kernel, "--rng", "--disk", kernel, "--vsock", "cid=5",
			     "--net", "tap=t0", NULL), 0);
	ck_assert_uint_eq(cfg.ndevices, 4);
	assert_device(0, "virtio-rng", "");
	assert_device(1, "virtio-blk", kernel);
	assert_device(2, "virtio-vsock", "cid=5");
	assert_device(3, "virtio-net", "tap=t0");
	ck_assert_int_eq(run("--kernel", kernel, "--rng", "--rng", NULL), -EINVAL);
	assert_error("at most");
}
END_TEST

START_TEST(vsock_and_console)
{
	ck_assert_int_eq(run("--kernel", kernel, "--vsock", "cid=3", "--console", "virtio",
			     "--api-socket", "/tmp/x.sock", NULL), 0);
	assert_device(0, "virtio-vsock", "cid=3");
	assert_device(1, "virtio-console", "");
	ck_assert_int_eq(cfg.console, CONSOLE_VIRTIO);
	ck_assert_str_eq(cfg.api_socket, "/tmp/x.sock");
	ck_assert_int_eq(run("--kernel", kernel, "--vsock", "cid=2", NULL), -EINVAL);
	assert_error("cid=2");
	ck_assert_int_eq(run("--kernel", kernel, "--vsock", "3", NULL), -EINVAL);
	ck_assert_int_eq(run("--kernel", kernel, "--vsock", "cid=4294967295", NULL), -EINVAL);
	ck_assert_int_eq(run("--kernel", kernel, "--console", "vga", NULL), -EINVAL);
	assert_error("--console 'vga'");
}
END_TEST

static void assert_size(const char *s, uint64_t want)
{
	uint64_t v = 0;

	ck_assert_msg(cli_parse_size(s, &v) == 0, "\"%s\" rejected", s);
	ck_assert_msg(v == want, "\"%s\" = %llu, want %llu", s, (unsigned long long)v,
		      (unsigned long long)want);
}

static void assert_bad_size(const char *s)
{
	uint64_t v = 12345;

	ck_assert_msg(cli_parse_size(s, &v) == -EINVAL, "\"%s\" accepted", s);
	ck_assert_uint_eq(v, 12345);
}

START_TEST(sizes)
{
	assert_size("512M", MiB(512));
	assert_size("2G", GiB(2));
	assert_size("4g", GiB(4));
	assert_size("65536K", MiB(64));
	assert_size("1024", GiB(1));
	assert_size("0", 0);
	assert_size("17179869183G", UINT64_MAX >> 30 << 30);
}
END_TEST

START_TEST(bad_sizes)
{
	assert_bad_size("-1");
	assert_bad_size("12X");
	assert_bad_size("");
	assert_bad_size("M");
	assert_bad_size("1MB");
	assert_bad_size("99999999999G");
	assert_bad_size("17179869184G");
	assert_bad_size("18446744073709551616");
	assert_bad_size("-18446744073709551615");	/* strtoull: 2^64 - that = 1 */
}
END_TEST

/* strtoull() skips leading blanks before the sign, so a negative number
 * must be refused after them too, not wrap around to a small size. */
START_TEST(negative_size_after_blank)
{
	assert_bad_size(" -18446744073709551615");
	assert_bad_size("\t-18446744073709550592");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cli");
	TCase *tc;

	tc = UNIT_TCASE(s, "run", full_command_line, defaults, equals_syntax_and_limits,
			mem_rejected, cpus_rejected, missing_kernel_file, missing_initrd_file,
			kernel_required, unknown_option, option_without_value, stray_argument,
			kernel_format, parse_twice, disks, nics, mixed_order,
			vsock_and_console, sve_and_pvtime);
	tcase_add_checked_fixture(tc, setup, teardown);
	UNIT_TCASE(s, "size", sizes, bad_sizes, negative_size_after_blank);
	return unit_run(s);
}
