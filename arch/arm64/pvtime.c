/* PV stolen time: the region, its registration and the host's revision
 * (arch/arm64/pvtime.h). */
#include "arch/arm64/pvtime.h"
#include "arch/arm64/cpu.h"
#include "arch/arm64/memmap.h"
#include "arch/arm64/pvtime_state.h"
#include "vmm/kvm.h"
#include "vmm/regset.h"
#include "vmm/vcpu.h"
#include "vmm/vm.h"

#include <errno.h>
#include <pthread.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

/* ---- the host's revision ---- */

#define PROBE_GPA	0x10000000ull	/* the probe VM's one page of code and data */
#define PROBE_SIZE	0x10000ull
#define PROBE_ST	0x1000		/* where its structure is, in that page */
#define SMCCC_PV_TIME_ST	0xc5000021u
#define PSCI_SYSTEM_OFF		0x84000008u

static uint32_t movz_x0(uint16_t imm)	{ return 0xd2800000u | (uint32_t)imm << 5; }
static uint32_t movk_x0_16(uint16_t imm)	{ return 0xf2a00000u | (uint32_t)imm << 5; }
#define HVC_0		0xd4000002u
#define B_SELF		0x14000000u

/* x0 = PV_TIME_ST; hvc; x0 = SYSTEM_OFF; hvc; and stay, should KVM return. */
static void write_probe(uint8_t *mem)
{
	const uint32_t code[] = {
		movz_x0(SMCCC_PV_TIME_ST & 0xffff), movk_x0_16(SMCCC_PV_TIME_ST >> 16), HVC_0,
		movz_x0(PSCI_SYSTEM_OFF & 0xffff), movk_x0_16(PSCI_SYSTEM_OFF >> 16), HVC_0, B_SELF,
	};

	memcpy(mem, code, sizeof(code));	/* the host is little-endian, as arm64 guests */
	memset(mem + PROBE_ST, 0xff, PVTIME_STRIDE);	/* KVM's writing shows */
}

static int set_ipa(struct vcpu *v, uint64_t ipa)
{
	struct kvm_device_attr a = { .group = KVM_ARM_VCPU_PVTIME_CTRL,
				     .attr = KVM_ARM_VCPU_PVTIME_IPA, .addr = (uintptr_t)&ipa };

	return ioctl(v->fd, KVM_SET_DEVICE_ATTR, &a) ? -errno : 0;
}

/* Run @v until the guest powers off (a few exits at most). */
static int run_to_poweroff(struct vcpu *v)
{
	for (int i = 0; i < 8; i++) {
		if (ioctl(v->fd, KVM_RUN, 0) && errno != EINTR)
			return -errno;
		if (v->run->exit_reason == KVM_EXIT_SYSTEM_EVENT)
			return 0;
	}
	return -ETIMEDOUT;
}

static int probe_on(struct vm *vm, uint8_t *mem, uint32_t *rev)
{
	struct vcpu v = { .fd = -1 };
	int rc = kvm_create_vm(&vm->kvm, 0);

	if (!rc && kvm_check(&vm->kvm, 1, KVM_CAP_STEAL_TIME) <= 0)
		rc = -ENOTSUP;
	rc = rc ? rc : kvm_set_memory(&vm->kvm, 0, PROBE_GPA, PROBE_SIZE, mem);
	rc = rc ? rc : vcpu_create(vm, &v, 0);
	rc = rc ? rc : cpu_init(&vm->kvm, &v, 0, 0);
	rc = rc ? rc : cpu_set_entry(&v, PROBE_GPA, 0);
	rc = rc ? rc : set_ipa(&v, PROBE_GPA + PROBE_ST);
	rc = rc ? rc : run_to_poweroff(&v);
	*rev = pvtime_revision_of(mem + PROBE_ST, 0);
	if (!rc && *rev == 0xffffffffu)
		rc = -ENOTSUP;	/* PV_TIME_ST did not write the structure */
	if (v.run)
		munmap(v.run, (size_t)vm->kvm.run_size);
	if (v.fd >= 0)
		close(v.fd);
	return rc;
}

static int measure(uint32_t *rev)
{
	struct vm *vm = calloc(1, sizeof(*vm));
	uint8_t *mem = mmap(NULL, PROBE_SIZE, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int rc = -ENOMEM;

	if (vm) {
		vm->kvm.sys_fd = vm->kvm.vm_fd = -1;
		rc = mem != MAP_FAILED ? kvm_open(&vm->kvm) : -ENOMEM;
	}
	if (!rc) {
		write_probe(mem);
		rc = probe_on(vm, mem, rev);
	}
	if (vm && vm->kvm.vm_fd >= 0)
		close(vm->kvm.vm_fd);
	if (vm && vm->kvm.sys_fd >= 0)
		close(vm->kvm.sys_fd);
	if (mem != MAP_FAILED)
		munmap(mem, PROBE_SIZE);
	free(vm);
	return rc;
}

/* The measure, once per process: on a thread of its own from
 * pvtime_measure_start(), else where it is first asked for. */
static struct {
	pthread_t thread;
	int started, done, result;
	uint32_t rev;
} m;

static void *measure_thread(void *arg)
{
	(void)arg;
	m.result = measure(&m.rev);
	return NULL;
}

void pvtime_measure_start(void)
{
	if (!m.started && !m.done)
		m.started = !pthread_create(&m.thread, NULL, measure_thread, NULL);
}

int pvtime_host_revision(uint32_t *rev)
{
	if (m.started) {
		pthread_join(m.thread, NULL);
		m.started = 0;
		m.done = 1;
	} else if (!m.done) {
		m.result = measure(&m.rev);
		m.done = 1;
	}
	*rev = m.rev;
	return m.result;
}

/* ---- a guest's region ---- */

int pvtime_create(struct vm *vm, struct pvtime *p)
{
	const struct memmap_region *r = memmap_get(MM_PVTIME);
	void *hva;

	p->hva = NULL;
	p->on = 0;
	if (kvm_check(&vm->kvm, 1, KVM_CAP_STEAL_TIME) <= 0)
		return 0;
	hva = mmap(NULL, r->size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (hva == MAP_FAILED)
		return -errno;
	p->hva = hva;
	return kvm_set_memory(&vm->kvm, PVTIME_SLOT, r->base, r->size, hva);
}

int pvtime_enable(struct vm *vm, struct pvtime *p)
{
	uint64_t base = memmap_get(MM_PVTIME)->base;
	int rc = p->hva ? 0 : -ENOTSUP;

	for (unsigned i = 0; !rc && i < vm->ncpus; i++)
		rc = set_ipa(&vm->vcpus[i], base + (uint64_t)i * PVTIME_STRIDE);
	p->on = !rc;
	return rc;
}

int pvtime_save(struct vm *vm, const struct pvtime *p, struct regset_list *out)
{
	struct regset *s;

	if (!p->on)
		return 0;
	s = regset_list_add(out, PVTIME_SECTION, PVTIME_VERSION);
	return s ? pvtime_state_save(p->hva, memmap_get(MM_PVTIME)->base, vm->ncpus, s) : -ENOMEM;
}

int pvtime_restore(struct vm *vm, struct pvtime *p, const struct regset *s, char *err,
		   size_t len)
{
	int rc;

	if (!p->hva) {
		snprintf(err, len, "the guest has PV stolen time (section '%s'); this host's KVM has "
			 "no KVM_CAP_STEAL_TIME", PVTIME_SECTION);
		return -EINVAL;
	}
	/* Why the structures first: KVM adds to the stolen time it finds
	 * there, from the first time each vCPU runs. */
	rc = pvtime_state_load(s, memmap_get(MM_PVTIME)->base, vm->ncpus, p->hva, err, len);
	if (!rc && (rc = pvtime_enable(vm, p)))
		snprintf(err, len, "registering the vCPUs' stolen-time structures: %s", strerror(-rc));
	return rc;
}
