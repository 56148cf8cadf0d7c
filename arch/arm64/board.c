#include "arch/arm64/board.h"
#include "arch/arm64/abi.h"
#include "arch/arm64/profile.h"
#include "arch/arm64/boot.h"
#include "arch/arm64/cpu.h"
#include "arch/arm64/fdt.h"
#include "arch/arm64/gic.h"
#include "arch/arm64/hypercall.h"
#include "arch/arm64/idreg.h"
#include "arch/arm64/image.h"
#include "arch/arm64/memmap.h"
#include "arch/arm64/sve.h"
#include "devices/pci/host.h"
#include "devices/rtc/rtc.h"
#include "devices/serial/serial.h"
#include "devices/watchdog/watchdog.h"
#include "vmm/config.h"
#include "vmm/clock.h"
#include "vmm/loader.h"
#include "vmm/log.h"
#include "vmm/vm.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>

/* With --watchdog, the guest has 2 x this long to start feeding it. */
#define WATCHDOG_ARMED_SECS	60

/* What was loaded where, between the loading and the device-tree steps. */
struct boot {
	struct loader_file kernel, initrd;
	struct arm64_image image;
	int gzip, has_initrd;
	struct boot_layout layout;
};

void board_limits(struct config_limits *lim)
{
	lim->max_cpus = MEMMAP_MAX_CPUS;
	lim->max_mem = memmap_get(MM_RAM)->size;
}

static int fail(int rc, const char *fmt, const char *arg)
{
	log_msg(fmt, arg, strerror(-rc));
	return rc;
}

static int create_vm(struct vm *vm)
{
	unsigned need = memmap_ipa_bits();
	int rc = kvm_open(&vm->kvm), max;

	if (rc)
		return fail(rc, "cannot use %s: %s", "/dev/kvm");
	/* No capability means the host only offers the legacy 40-bit IPA. */
	max = kvm_check(&vm->kvm, 0, KVM_CAP_ARM_VM_IPA_SIZE);
	if (max <= 0)
		max = 40;
	if (need > (unsigned)max) {
		log_msg("the memory map needs a %u-bit IPA space; this host offers %d bits", need, max);
		return -ERANGE;
	}
	rc = kvm_create_vm(&vm->kvm, KVM_VM_TYPE_ARM_IPA_SIZE(need));
	if (rc)
		return fail(rc, "%s: %s", "KVM_CREATE_VM");
	/* Why before any vCPU exists: KVM takes it only then. It lets a guest
	 * keep the implementation (MIDR_EL1...) it booted with, or a pool's,
	 * on a host of another CPU (Linux 6.15 and later). */
	if (kvm_check(&vm->kvm, 1, KVM_CAP_ARM_WRITABLE_IMP_ID_REGS) > 0)
		rc = kvm_enable_cap(&vm->kvm, KVM_CAP_ARM_WRITABLE_IMP_ID_REGS, 0);
	return rc ? fail(rc, "%s: %s", "KVM_CAP_ARM_WRITABLE_IMP_ID_REGS") : 0;
}

static int create_ram(struct vm *vm, uint64_t size, int memory_fd)
{
	uint64_t base = memmap_get(MM_RAM)->base;
	int rc = memory_fd >= 0 ? mem_map_file(&vm->ram, base, size, memory_fd)
				: mem_alloc(&vm->ram, base, size);

	if (rc)
		return fail(rc, "cannot allocate %s of guest RAM: %s", "--mem");
	rc = kvm_set_memory(&vm->kvm, 0, base, size, vm->ram.hva);
	return rc ? fail(rc, "%s: %s", "KVM_SET_USER_MEMORY_REGION") : 0;
}

/* This host's stolen-time revision, measured now: the measure makes a
 * VM, which only start-up may do (pvtime.h); then the region, where KVM
 * has stolen time. A revision that cannot be known is no stolen time:
 * the guest runs without, rather than with a structure nobody checked. */
static int create_pvtime(struct vm *vm)
{
	struct arm64_vm *a = vm->arch;
	uint32_t rev;
	int rc = pvtime_host_revision(&rev);

	if (rc && rc != -ENOTSUP)
		log_msg("no PV stolen time: its structure's revision could not be measured: %s",
			strerror(-rc));
	if (rc)
		return 0;
	rc = pvtime_create(vm, &a->pvtime);
	return rc ? fail(rc, "cannot map the %s region: %s", "PV stolen-time") : 0;
}

/* A new guest gets stolen time unless told not to, or its pool profile
 * lacks it (then a host of the pool has none to give). */
static int enable_pvtime(struct vm *vm, const struct run_config *cfg)
{
	struct arm64_vm *a = vm->arch;
	const struct regset *pool = cfg->profile ? regset_list_findf(cfg->profile, "abi", 0) : NULL;
	int rc;

	if (cfg->no_pvtime || !a->pvtime.hva || (cfg->profile && !regset_has(pool, ABI_PVTIME_REV)))
		return 0;
	rc = pvtime_enable(vm, &a->pvtime);
	return rc ? fail(rc, "cannot give the vCPUs %s: %s", "PV stolen time") : 0;
}

static int open_input(const char *what, const char *path, struct loader_file *f)
{
	int rc = loader_open(path, f);

	if (rc == -ENODATA)
		log_msg("%s '%s': the file is empty", what, path);
	else if (rc)
		log_msg("%s '%s': %s", what, path, strerror(-rc));
	return rc;
}

/* Read the Image header (inflating just enough of a gzip'ed one). */
static int parse_kernel(const char *path, struct boot *b, enum kernel_format fmt)
{
	uint8_t head[IMAGE_HEADER_SIZE];
	const char *why = NULL;
	ssize_t n;
	int rc;

	if (fmt == KERNEL_RAW) {
		/* A bare payload: loaded as is, where kvmtool loads one. */
		b->image = (struct arm64_image){ IMAGE_DEFAULT_TEXT, b->kernel.size, 0 };
		return 0;
	}
	b->gzip = image_is_gzip(b->kernel.data, b->kernel.size);
	if (!b->gzip) {
		rc = image_parse(b->kernel.data, b->kernel.size, b->kernel.size, &b->image, &why);
	} else {
		n = loader_gunzip(b->kernel.data, b->kernel.size, head, sizeof(head), 1);
		why = "gzip data is corrupt";
		rc = n < 0 ? -ENOEXEC : image_parse(head, n, 0, &b->image, &why);
	}
	if (rc)
		log_msg("kernel '%s'%s: %s", path, b->gzip ? " (gzip)" : "", why);
	return rc;
}

static int plan(struct vm *vm, const char *path, struct boot *b)
{
	const char *why;
	int rc = boot_plan(vm->ram.gpa, vm->ram.size, b->image.text_offset,
			   b->image.image_size,
			   b->has_initrd ? b->initrd.size : 0, &b->layout, &why);

	if (rc)
		log_msg("kernel '%s': %s", path, why);
	return rc;
}

static int place_kernel(struct vm *vm, const char *path, struct boot *b)
{
	uint64_t room = b->layout.kernel_size;
	uint8_t *dst = mem_ptr(&vm->ram, b->layout.kernel, room);
	ssize_t n;

	if (!b->gzip)
		return loader_place(&vm->ram, b->layout.kernel, &b->kernel);
	n = loader_gunzip(b->kernel.data, b->kernel.size, dst, room, 0);
	if (n == -EFBIG)
		log_msg("kernel '%s': inflates to more than its header's image_size", path);
	else if (n < 0)
		log_msg("kernel '%s': gzip data is corrupt", path);
	return n < 0 ? -ENOEXEC : 0;
}

static int load_images(struct vm *vm, const struct run_config *cfg, struct boot *b)
{
	uint64_t t0 = clock_ns();
	int rc = open_input("kernel", cfg->kernel, &b->kernel);

	if (!rc && cfg->initrd) {
		rc = open_input("initrd", cfg->initrd, &b->initrd);
		b->has_initrd = !rc;
	}
	if (!rc)
		rc = parse_kernel(cfg->kernel, b, cfg->kernel_format);
	if (!rc)
		rc = plan(vm, cfg->kernel, b);
	if (!rc)
		rc = place_kernel(vm, cfg->kernel, b);
	if (!rc && b->has_initrd)
		rc = loader_place(&vm->ram, b->layout.initrd, &b->initrd);
	/* Guest RAM holds its own private mappings now; drop the file views. */
	if (b->kernel.data)
		loader_close(&b->kernel);
	if (b->has_initrd)
		loader_close(&b->initrd);
	vm->load_ns = clock_ns() - t0;
	return rc;
}

/* Whether the guest gets SVE, and with which longest length: as asked,
 * or as its pool profile says (the lengths every host of the pool has up
 * to a common longest; none when a host lacks SVE). Fills in
 * cfg->sve_vl where it was left to the host. */
static int plan_sve(struct vm *vm, struct run_config *cfg)
{
	const struct regset *p = cfg->profile ? regset_list_findf(cfg->profile, "vcpu.0", 0) : NULL;
	uint32_t n = 0;
	const uint8_t *vls = p ? regset_get(p, KVM_REG_ARM64_SVE_VLS, &n) : NULL;
	unsigned top = vls ? idreg_sve_vls_longest(vls, n) : 0;

	if (cfg->profile && cfg->sve_vl == CONFIG_SVE_HOST)
		cfg->sve_vl = top ? (int)top * 128 : CONFIG_SVE_OFF;
	if (cfg->sve_vl == CONFIG_SVE_OFF || sve_supported(&vm->kvm))
		return 0;
	if (cfg->sve_vl == CONFIG_SVE_HOST) {
		cfg->sve_vl = CONFIG_SVE_OFF;
		return 0;
	}
	log_msg("SVE: the guest needs vector lengths up to %d bits; this host's KVM has no SVE",
		cfg->sve_vl);
	return -EINVAL;
}

/* One vCPU: made, initialised, its SVE lengths set (the first vCPU
 * settles a length left to the host; the others take the same). */
static int create_vcpu(struct vm *vm, unsigned i, struct run_config *cfg, uint64_t *mpidr)
{
	char err[300];
	int rc = vcpu_create(vm, &vm->vcpus[i], i);

	rc = rc ? rc : cpu_init(&vm->kvm, &vm->vcpus[i], cfg->pmu, cfg->sve_vl != CONFIG_SVE_OFF);
	if (!rc && cfg->sve_vl != CONFIG_SVE_OFF && (rc = sve_finalize(&vm->vcpus[i], &cfg->sve_vl,
								     err, sizeof(err)))) {
		log_msg("vCPU %u: %s", i, err);
		return rc;
	}
	rc = rc ? rc : cpu_read_mpidr(&vm->vcpus[i], &mpidr[i]);
	if (rc)
		log_msg("vCPU %u: %s", i, strerror(-rc));
	return rc;
}

static int create_vcpus(struct vm *vm, struct run_config *cfg, uint64_t *mpidr)
{
	unsigned n = cfg->cpus;
	int pmu = cfg->pmu, rc = plan_sve(vm, cfg);

	vm->vcpus = calloc(n, sizeof(*vm->vcpus));
	if (!vm->vcpus)
		return -ENOMEM;
	if (pmu && kvm_check(&vm->kvm, 0, KVM_CAP_ARM_PMU_V3) <= 0) {
		log_msg("--pmu: this host's KVM offers no PMUv3");
		return -ENOTSUP;
	}
	/* In index order: vCPU i gets redistributor i, on every host. */
	for (unsigned i = 0; i < n && !rc; i++) {
		rc = create_vcpu(vm, i, cfg, mpidr);
		vm->ncpus = i + 1;
	}
	vm->describe_vcpu = cpu_describe;
	return rc;
}

static int create_gic(struct vm *vm)
{
	struct arm64_vm *a = vm->arch;

	return gic_create(&vm->kvm, &a->gic);
}

static int init_pmus(struct vm *vm)
{
	for (unsigned i = 0; i < vm->ncpus; i++) {
		int rc = cpu_init_pmu(&vm->vcpus[i], FDT_PMU_PPI);

		if (rc) {
			log_msg("vCPU %u: PMU init: %s", i, strerror(-rc));
			return rc;
		}
	}
	return 0;
}

/* The guest's counter is the host's minus the offset KVM gave the VM. */
static uint64_t guest_counter(void *ctx)
{
	return cpu_host_counter() - *(uint64_t *)ctx;
}

static int attach_watchdog(struct vm *vm, int armed)
{
	static uint64_t offset;
	struct watchdog_clock clk = { guest_counter, cpu_counter_freq(), &offset };
	struct watchdog_config cfg = {
		.control = memmap_get(MM_WDOG_CONTROL)->base,
		.refresh = memmap_get(MM_WDOG_REFRESH)->base,
		.frame_size = memmap_get(MM_WDOG_CONTROL)->size,
		.irq = gic_spi_line(MEMMAP_SPI_WDOG),
		.armed = armed,
		.armed_secs = WATCHDOG_ARMED_SECS,
	};
	int rc = cpu_counter_offset(&vm->vcpus[0], &offset);

	return rc ? rc : watchdog_attach(vm, &cfg, &clk);
}

/* The board's own devices, at their places in the memory map, and the
 * PCIe host bridge the configuration's devices plug into. */
int board_attach(struct vm *vm, const struct run_config *cfg)
{
	const struct memmap_region *u = memmap_get(MM_UART), *r = memmap_get(MM_RTC);
	const struct memmap_region *e = memmap_get(MM_PCI_ECAM);
	struct arm64_vm *a = vm->arch;
	int rc = serial_attach(vm, u->base, u->size, gic_spi_line(MEMMAP_SPI_UART));

	if (!rc)
		rc = rtc_attach(vm, r->base, r->size, gic_spi_line(MEMMAP_SPI_RTC));
	if (!rc)
		rc = attach_watchdog(vm, cfg->watchdog);
	if (!rc)
		rc = pci_host_create(vm, e->base, e->size, &a->pci);
	if (rc)
		log_msg("cannot attach the board's devices: %s", strerror(-rc));
	return rc;
}

struct pci_host *board_pci(struct vm *vm)
{
	struct arm64_vm *a = vm->arch;

	return a->pci;
}

static int write_fdt(struct vm *vm, const struct run_config *cfg,
		     const struct boot *b, const uint64_t *mpidr)
{
	struct fdt_board fb = {
		.ncpus = vm->ncpus, .mpidr = mpidr, .ram_size = vm->ram.size,
		.bootargs = cfg->cmdline, .pmu = cfg->pmu,
		.initrd = b->layout.initrd, .initrd_size = b->layout.initrd_size,
	};
	void *dst = mem_ptr(&vm->ram, b->layout.dtb, BOOT_DTB_MAX);
	int rc = dst ? fdt_build(&fb, dst, BOOT_DTB_MAX) : -EFAULT;

	if (rc)
		log_msg("cannot build the device tree: %s", strerror(-rc));
	return rc;
}

int board_create(struct vm *vm, struct run_config *cfg, int memory_fd)
{
	struct arm64_vm *a = calloc(1, sizeof(*a));
	uint64_t *mpidr = a ? a->mpidr : NULL;
	struct boot b = { 0 };
	char err[512];
	int restore = memory_fd >= 0 || memory_fd == BOARD_MEMORY_INCOMING;
	int rc;

	/* Why first: the measure makes a VM of its own, on another thread,
	 * while this one makes the guest's and reads its files. */
	pvtime_measure_start();
	rc = a ? create_vm(vm) : -ENOMEM;
	vm->arch = a;	/* kept for the save/restore of its state */
	if (!rc)
		rc = create_ram(vm, cfg->mem, memory_fd);
	if (!rc && !restore)
		rc = load_images(vm, cfg, &b);
	if (!rc)
		rc = create_pvtime(vm);
	if (!rc)
		rc = create_vcpus(vm, cfg, mpidr);
	/* The vGIC comes after every vCPU exists, and before any runs. */
	if (!rc)
		rc = create_gic(vm);
	/* Why here: ID registers and GICD_IIDR take new values only before
	 * any vCPU ran, and after the vGIC exists. */
	if (!rc && !restore && cfg->profile && (rc = profile_apply(vm, cfg->profile, err, sizeof(err))))
		log_msg("--profile %s: this host cannot start a guest of that profile: %s",
			cfg->profile_path, err);
	/* After the profile: it may offer the target-implementation calls. */
	if (!rc && !restore && (rc = hypercall_serve(vm, profile_impls(cfg->profile))))
		log_msg("cannot answer the guest's target-implementation calls: %s", strerror(-rc));
	/* Before the vCPUs first run (KVM takes each IPA once); a restored
	 * guest's are registered with its saved structures (board_restore). */
	if (!rc && !restore)
		rc = enable_pvtime(vm, cfg);
	/* The PMU interrupt is wired into an initialised vGIC. */
	if (!rc && cfg->pmu)
		rc = init_pmus(vm);
	/* An incoming guest's devices come at the hand-over: until then its
	 * source holds the state they take (board_attach by the builder). */
	if (!rc && memory_fd != BOARD_MEMORY_INCOMING)
		rc = board_attach(vm, cfg);
	if (!rc && !restore)
		rc = write_fdt(vm, cfg, &b, mpidr);
	if (!rc && !restore)
		rc = cpu_set_entry(&vm->vcpus[0], b.layout.kernel, b.layout.dtb);
	/* A new guest's needs are what its vCPUs show before they first run;
	 * a restored one's are recorded by board_restore(). */
	if (!rc && !restore && (rc = board_record_needs(vm, NULL, NULL)))
		log_msg("cannot read the new vCPUs' registers: %s", strerror(-rc));
	return rc;
}
