/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A minimal arm64 VMM for the kvmx vCPU kselftests: one VM, one memslot of guest RAM
 * at GUEST_RAM_IPA, vCPUs initialised with the preferred target, guest programs copied
 * from this binary's own text (position-independent asm snippets, MMU off).
 */
#ifndef KVMX_VCPU_LIB_H
#define KVMX_VCPU_LIB_H

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <time.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "kvmx_util.h"

#define GUEST_RAM_IPA 0x40000000ULL
#define GUEST_RAM_SIZE (2ULL << 20)
#define GUEST_CODE_IPA GUEST_RAM_IPA
#define GUEST_VECTORS_IPA (GUEST_RAM_IPA + 0x10000)
#define GUEST_DATA_IPA (GUEST_RAM_IPA + 0x20000)
#define GUEST_MMIO_IPA 0x90000000ULL /* outside every memslot */

#define CORE_REG(x)                                                                                \
	(KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE |                                     \
	 (offsetof(struct kvm_regs, x) / sizeof(__u32)))
#define SYSREG(op0, op1, crn, crm, op2)                                                            \
	(KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM64_SYSREG | ((op0) << 14) | ((op1) << 11) | \
	 ((crn) << 7) | ((crm) << 3) | (op2))
#define REG_CPACR_EL1 SYSREG(3, 0, 1, 0, 2)
#define REG_VBAR_EL1 SYSREG(3, 0, 12, 0, 0)
#define REG_ESR_EL1 SYSREG(3, 0, 5, 2, 0)
#define REG_MPIDR_EL1 SYSREG(3, 0, 0, 0, 5)
#define REG_V(n)                                                                                   \
	(KVM_REG_ARM64 | KVM_REG_SIZE_U128 | KVM_REG_ARM_CORE |                                    \
	 (offsetof(struct kvm_regs, fp_regs.vregs[n]) / sizeof(__u32)))

struct vmm {
	int kvm, vm;
	uint8_t *ram;
	int run_size;
};

struct vcpu {
	int fd;
	struct kvm_run *run;
};

/* Guest programs: start/end symbols defined in the test's global asm. */
#define GUEST_PROGRAM(name) extern const uint8_t name##_start[], name##_end[]

static inline int vmm_create(struct vmm *m)
{
	struct kvm_userspace_memory_region region = {
		.slot = 0,
		.guest_phys_addr = GUEST_RAM_IPA,
		.memory_size = GUEST_RAM_SIZE,
	};

	m->kvm = kvmx_open_dev();
	if (m->kvm < 0)
		return -1;
	m->vm = ioctl(m->kvm, KVM_CREATE_VM, 0);
	m->run_size = ioctl(m->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	m->ram = mmap(NULL, GUEST_RAM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
		      0);
	if (m->vm < 0 || m->run_size <= 0 || m->ram == MAP_FAILED)
		return -1;
	region.userspace_addr = (uintptr_t)m->ram;
	return ioctl(m->vm, KVM_SET_USER_MEMORY_REGION, &region);
}

static inline void vmm_destroy(struct vmm *m)
{
	munmap(m->ram, GUEST_RAM_SIZE);
	close(m->vm);
	close(m->kvm);
}

static inline int vcpu_set(struct vcpu *v, uint64_t id, uint64_t val)
{
	struct kvm_one_reg reg = { .id = id, .addr = (uintptr_t)&val };

	return ioctl(v->fd, KVM_SET_ONE_REG, &reg);
}

static inline uint64_t vcpu_get(struct vcpu *v, uint64_t id)
{
	uint64_t val = 0xdeadbeef;
	struct kvm_one_reg reg = { .id = id, .addr = (uintptr_t)&val };

	if (ioctl(v->fd, KVM_GET_ONE_REG, &reg))
		return 0xbad0bad0bad0bad0ULL;
	return val;
}

/* Create vCPU @id, init it with @features, start it at @pc with FP/SIMD enabled. */
static inline int vcpu_add(struct vmm *m, struct vcpu *v, int id, uint32_t features, uint64_t pc)
{
	struct kvm_vcpu_init init;

	v->fd = ioctl(m->vm, KVM_CREATE_VCPU, id);
	if (v->fd < 0)
		return -1;
	v->run = mmap(NULL, m->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
	if (v->run == MAP_FAILED)
		return -1;
	if (ioctl(m->vm, KVM_ARM_PREFERRED_TARGET, &init))
		return -1;
	init.features[0] = features;
	if (ioctl(v->fd, KVM_ARM_VCPU_INIT, &init))
		return -1;
	if (vcpu_set(v, CORE_REG(regs.pc), pc))
		return -1;
	return vcpu_set(v, REG_CPACR_EL1, 3 << 20);
}

/* Copy a guest program to guest physical address @ipa. */
static inline void load_program(struct vmm *m, uint64_t ipa, const uint8_t *start,
				const uint8_t *end)
{
	memcpy(m->ram + (ipa - GUEST_RAM_IPA), start, end - start);
	__builtin___clear_cache((char *)m->ram + (ipa - GUEST_RAM_IPA),
				(char *)m->ram + (ipa - GUEST_RAM_IPA) + (end - start));
}

static inline int vcpu_run(struct vcpu *v)
{
	return ioctl(v->fd, KVM_RUN, 0);
}

/* Run until an exit that is not KVM_EXIT_INTR; returns KVM_RUN's result. */
static inline uint64_t mmio_data(struct vcpu *v)
{
	uint64_t val = 0;

	memcpy(&val, v->run->mmio.data, v->run->mmio.len);
	return val;
}

static inline double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A signal handler that does nothing: its delivery makes a blocked KVM_RUN return EINTR. */
static inline void ignore_signal(int sig)
{
	(void)sig;
}

/* raise_irq_later() (a pthread): assert the vCPU 0 IRQ line of @vm after @delay_ms. */
struct irq_args {
	int vm;
	int delay_ms;
};

static inline void *raise_irq_later(void *p)
{
	struct irq_args *a = p;
	struct kvm_irq_level irq = {
		.irq = KVM_ARM_IRQ_TYPE_CPU << KVM_ARM_IRQ_TYPE_SHIFT | KVM_ARM_IRQ_CPU_IRQ,
		.level = 1,
	};

	usleep(a->delay_ms * 1000);
	ioctl(a->vm, KVM_IRQ_LINE, &irq);
	return NULL;
}

#endif
