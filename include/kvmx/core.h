/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The core's entry points: the C ABI through which the Linux glue (virt/kvmx/ C files) hands
 * ioctls and lifecycle events to the C++ core. The glue does no argument checking of its
 * own beyond what needs Linux (the calling process); the core validates everything else.
 */
#ifndef KVMX_CORE_H
#define KVMX_CORE_H

#include <kvmx/host.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Facts about the host that the core may not read itself; gathered once at load. */
struct kvmx_host_info {
	unsigned int nr_cpus;
	/*
	 * The host's PAGE_SHIFT: one bit of a KVM_GET/CLEAR_DIRTY_LOG bitmap stands for one
	 * such page, as upstream's (12 on Debian arm64, 16 on ppc64el; 0 is taken as 12).
	 */
	unsigned int page_shift;
	unsigned int max_vms; /* module parameter: limit on VMs alive at once */
	/*
	 * The scheduler accounts each task's time waiting for a CPU (CONFIG_SCHED_INFO), so
	 * kvmx_host_run_delay_ns() means something: PV stolen time is offered only then.
	 */
	unsigned int sched_info_on;
	kvmx_u64 arm64_id_aa64mmfr0; /* sanitised ID_AA64MMFR0_EL1 (arm64 only) */
	/*
	 * arm64: the host's sanitised ID registers of the feature-ID space op0=3, op1=0,
	 * CRn=0, CRm=1..7, indexed (CRm - 1) * 8 + op2; 0 for encodings the host does not
	 * sanitise. Plus the identification registers the guest sees unchanged.
	 */
	kvmx_u64 arm64_id_regs[56];
	kvmx_u64 arm64_midr, arm64_revidr, arm64_ctr, arm64_clidr, arm64_aidr, arm64_dczid;
	unsigned int arm64_vmid_bits; /* 8 or 16 */
	/*
	 * arm64: ICH_VTR_EL2, what the GICv3 virtual CPU interface implements; 0 if the host
	 * has none (no GICv3 system-register interface, or no maintenance interrupt to
	 * take): then no VM can have an in-kernel vGIC.
	 */
	kvmx_u64 arm64_ich_vtr;
	/*
	 * arm64: the host's INTIDs of the guests' virtual (0) and physical (1) EL1 timer
	 * interrupts when kvmx may forward them to vGIC guests (ICH_LR_HW list registers,
	 * kvmx_host_arm64_timer_irqs; used while kvmx_host_arm64_hw_timers says so); 0
	 * when not (no vGIC, or a GIC driver that deactivates on EOI).
	 */
	unsigned int arm64_timer_hwintid[2];
	/*
	 * arm64: the perf type of the host's PMUv3 (the "type" of its event source; 0 when
	 * perf drives none), its PMCR_EL0.N and PMCEID0/1_EL0: the guest PMU's
	 * KVM_ARM_VCPU_PMU_V3_SET_PMU id, most counters and the events it can count.
	 */
	unsigned int arm64_pmu_type;
	unsigned int arm64_pmu_nr_counters;
	kvmx_u64 arm64_pmceid[2]; /* its PMCEID0/1_EL0: the common events it counts */
	/* powerpc: the kernel is the hypervisor (powernv), ISA 3.0, radix MMU (1) or not (0). */
	unsigned int ppc_hv_radix;
	/*
	 * powerpc: the kernel is not the hypervisor (a pseries guest: no MSR[HV]). kvmx loads
	 * so that /dev/kvm can be probed, but every POWER capability reads 0 and
	 * KVM_CREATE_VM fails; only ppc_pvr and ppc_page_shift are set then.
	 */
	unsigned int ppc_no_hv;
	/*
	 * powerpc: radix guests may run with LPCR[AIL] = 3 (KVM_CAP_PPC_AIL_MODE_3): the way
	 * back from an interrupt taken with translation on works (virt/kvmx/arch-powerpc.c).
	 */
	unsigned int ppc_ail3;
	kvmx_u64 ppc_pvr;	/* Processor Version Register (powerpc only) */
	kvmx_u64 ppc_host_lpcr; /* the host's LPCR and LPID, restored after a guest */
	unsigned int ppc_host_lpid;
	kvmx_u64 ppc_tb_freq;	      /* timebase ticks per second */
	kvmx_u64 ppc_decrementer_max; /* largest DEC value the host programs */
	unsigned int ppc_page_shift;  /* the host's PAGE_SHIFT (16 on Debian ppc64el) */
	/*
	 * powerpc: the radix page sizes the MMU offers, as KVM_PPC_GET_RMMU_INFO reports them
	 * (page shift | AP encoding << 29), in the kernel's order, 0 after the last: what the
	 * firmware's device tree gave the kernel (mmu_psize_defs).
	 */
	unsigned int ppc_radix_ap[8];
	/*
	 * powerpc: the speculation characteristics and recommended behaviour firmware states
	 * for this CPU (H_CPU_CHAR_* and H_CPU_BEHAV_* bits, KVM_PPC_GET_CPU_CHAR), and which
	 * bits of each are known: character, behaviour, character_mask, behaviour_mask. All 0
	 * when firmware says nothing (QEMU's powernv: no "fw-features" node).
	 */
	kvmx_u64 ppc_cpu_char[4];
};

/* Module lifetime. kvmx_core_init returns 0 or -errno; exit undoes init. */
int kvmx_core_init(const struct kvmx_host_info *info);
void kvmx_core_exit(void);

/* ioctl on /dev/kvm. Returns >= 0 or -errno. */
long kvmx_dev_ioctl(unsigned int cmd, unsigned long arg);

/* ioctl on a VM fd; @vm is the fd's private reference. Returns >= 0 or -errno. */
long kvmx_vm_ioctl(struct kvmx_vm *vm, unsigned int cmd, unsigned long arg);

/* The VM fd was closed for the last time: drop its reference. */
void kvmx_vm_release(struct kvmx_vm *vm);

/* MMU notifier callbacks (see kvmx_host_mmu_notifier_register). [start, end) are hvas. */
void kvmx_vm_mmu_invalidate_begin(struct kvmx_vm *vm, kvmx_uptr start, kvmx_uptr end);
void kvmx_vm_mmu_invalidate_end(struct kvmx_vm *vm, kvmx_uptr start, kvmx_uptr end);
void kvmx_vm_mmu_release(struct kvmx_vm *vm);

/* ioctl on a vCPU fd; @vcpu is the fd's private reference. Returns >= 0 or -errno. */
long kvmx_vcpu_ioctl(struct kvmx_vcpu *vcpu, unsigned int cmd, unsigned long arg);
/* The kernel address of page @pgoff of the vCPU fd's mmap (kvm_run), or NULL. */
void *kvmx_vcpu_mmap_page(struct kvmx_vcpu *vcpu, unsigned long pgoff);
/* The vCPU fd was closed for the last time: drop its reference. */
void kvmx_vcpu_release(struct kvmx_vcpu *vcpu);

/*
 * Read @size bytes at @offset of the binary stats file of @vm (or @vcpu if not NULL)
 * into the kernel buffer @buf. Returns the bytes read (0 at the end) or -errno.
 */
long kvmx_stats_read(struct kvmx_vm *vm, struct kvmx_vcpu *vcpu, void *buf, kvmx_size_t size,
		     kvmx_u64 offset);

/*
 * Run the arch's self-test of guest entry and exit on this CPU (arm64: a tiny guest
 * through the real world switch). 0 on success, -errno after a log line otherwise.
 */
int kvmx_arch_selftest(void);

/* Number of VMs alive, for the glue's unload checks and the tests. */
unsigned int kvmx_core_nr_vms(void);

#ifdef __cplusplus
}
#endif

#endif /* KVMX_CORE_H */
