/* vCPU threads and the pause barrier.
 *
 * vcpus_pause() returns only when every vCPU thread is outside KVM_RUN and
 * parked, which the vGIC/ITS state ioctls require (they fail with EBUSY
 * while any vCPU runs). It kicks each thread with immediate_exit plus a
 * signal: immediate_exit closes the race where the signal lands just
 * before the thread enters KVM_RUN. */
#ifndef ITSY_VCPU_H
#define ITSY_VCPU_H

#include <pthread.h>
#include <stdint.h>

struct vm;
struct kvm_run;

struct vcpu {
	struct vm *vm;
	unsigned id;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	int started;
};

struct vcpu_barrier {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int pause_req;		/* written under lock, read racily by vCPUs */
	unsigned parked;	/* threads waiting in the barrier */
};

/* KVM_CREATE_VCPU and map its kvm_run. */
int vcpu_create(struct vm *vm, struct vcpu *v, unsigned id);
void vcpu_barrier_init(struct vcpu_barrier *b);

/* Start one thread per vCPU. */
int vcpus_start(struct vm *vm);
/* Park every vCPU outside KVM_RUN; returns the nanoseconds it took. */
uint64_t vcpus_pause(struct vm *vm);
void vcpus_resume(struct vm *vm);

/* Run @fn(vcpu, @ctx) for every vCPU, spread over up to one thread per
 * online host CPU (the caller's is one of them): for per-vCPU register
 * work such as a restore, whose ioctls KVM serves each vCPU apart. The
 * vCPU threads must not be running. Returns the result of the
 * lowest-numbered vCPU that failed, 0 if none. It makes threads: call it
 * before the process is confined (sandbox.h). */
int vcpus_each(struct vm *vm, int (*fn)(struct vcpu *v, void *ctx), void *ctx);

#endif
