/* SPDX-License-Identifier: GPL-2.0 */
/*
 * POWER9 guest entry: what arch/powerpc/kvm/ (C++) asks of virt/kvmx/arch-powerpc.c (C).
 * Plain C types only. The glue owns everything that needs the kernel's internal layouts
 * (the PACA, struct kvm_vcpu/struct kvm as kvmppc_p9_enter_guest reads them, the FP/VMX
 * save areas); the C++ world switch owns every SPR (Documentation/virt/kvmx/powerpc.rst).
 */
#ifndef KVMX_PPC_H
#define KVMX_PPC_H

#include <kvmx/host.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The registers kvmppc_p9_enter_guest loads and its exit path stores. */
struct kvmx_ppc_regs {
	kvmx_u64 gpr[32];
	kvmx_u64 nip, msr, cr, lr, ctr, xer, cfar, ppr;
};

/* What the exit path leaves in the PACA besides registers (by trap). */
struct kvmx_ppc_exit {
	int trap;	 /* interrupt vector that ended the guest (0xc00 for an hcall) */
	kvmx_u64 hdar;	 /* 0xe00 (HDSI): the data address */
	kvmx_u64 hdsisr; /* 0xe00 (HDSI): the cause */
};

/* One per vCPU: the kernel-layout blocks and the guest's FP/VMX/VSX registers. */
struct kvmx_ppc_shadow;
struct kvmx_ppc_shadow *kvmx_ppc_shadow_create(void);
void kvmx_ppc_shadow_destroy(struct kvmx_ppc_shadow *shadow);

/*
 * The guest's FP/VMX/VSX registers stay in the CPU between an exit and the next entry
 * (no store and load per in-kernel round trip). run_begin/run_end bracket every KVM_RUN
 * (the glue then stores them whenever the thread is scheduled out, and at run_end);
 * fp_sync stores them now: call it before handling an exit that may touch guest or user
 * memory (a page fault or a large copy may use VMX in the kernel) or read those registers.
 * The shadow accessors below see the stored copy.
 */
void kvmx_ppc_run_begin(struct kvmx_ppc_shadow *shadow);
void kvmx_ppc_run_end(struct kvmx_ppc_shadow *shadow);
void kvmx_ppc_fp_sync(struct kvmx_ppc_shadow *shadow);

/* FP/VSX (64 x 128 bits, the VSX view: FPRs are doubleword 0 of VSR0-31) and FPSCR,
 * VR (32 x 128, = VSR32-63) and VSCR of the guest, for ONE_REG. idx 0..63 for vsr. */
void kvmx_ppc_shadow_get_vsr(struct kvmx_ppc_shadow *shadow, unsigned int idx, kvmx_u64 val[2]);
void kvmx_ppc_shadow_set_vsr(struct kvmx_ppc_shadow *shadow, unsigned int idx,
			     const kvmx_u64 val[2]);
/* FPR idx (0..31): the doubleword of VSR idx that the FP instructions use. */
kvmx_u64 kvmx_ppc_shadow_get_fpr(struct kvmx_ppc_shadow *shadow, unsigned int idx);
void kvmx_ppc_shadow_set_fpr(struct kvmx_ppc_shadow *shadow, unsigned int idx, kvmx_u64 val);
kvmx_u64 kvmx_ppc_shadow_get_fpscr(struct kvmx_ppc_shadow *shadow);
void kvmx_ppc_shadow_set_fpscr(struct kvmx_ppc_shadow *shadow, kvmx_u64 val);
unsigned int kvmx_ppc_shadow_get_vscr(struct kvmx_ppc_shadow *shadow);
void kvmx_ppc_shadow_set_vscr(struct kvmx_ppc_shadow *shadow, unsigned int val);

/*
 * Mask interrupts hard (MSR[EE] = 0 as well as the kernel's soft mask) on this CPU;
 * restore replays whatever the host missed meanwhile.
 */
unsigned long kvmx_ppc_irq_hard_disable(void);
void kvmx_ppc_irq_restore(unsigned long flags);

/* This CPU's next host timer event, in timebase ticks (interrupts masked). */
kvmx_u64 kvmx_ppc_host_next_tb(void);

/*
 * The guest section. enter: the PACA names @shadow and says "P9 guest" (from here an
 * interrupt belongs to the guest exit path; call with interrupts hard-disabled, before
 * switching the MMU to the guest). run: load @regs and the guest FP/VMX state, HRFID to
 * HSRR0/HSRR1 (set by the caller), come back on the guest's next interrupt with @regs
 * and @exit filled. leave: after the MMU is the host's again: the PACA says "no guest",
 * the host decrementer is re-armed for timebase @tb and an interrupt of the host that
 * ended the guest (@trap) is replayed when interrupts are unmasked.
 */
void kvmx_ppc_guest_enter(struct kvmx_ppc_shadow *shadow);
void kvmx_ppc_guest_run(struct kvmx_ppc_shadow *shadow, struct kvmx_ppc_regs *regs,
			struct kvmx_ppc_exit *exit);
void kvmx_ppc_guest_leave(int trap, kvmx_u64 tb);

/* Partitions: LPIDs (1 .. 2^bits - 2; 0 is the host's), table entries, TLB. */
int kvmx_ppc_lpid_alloc(void); /* the LPID or -ENOSPC */
void kvmx_ppc_lpid_free(unsigned int lpid);
/* Write partition-table entry @lpid (doublewords in CPU order) and flush what it cached. */
void kvmx_ppc_set_partition(unsigned int lpid, kvmx_u64 dw0, kvmx_u64 dw1);
/* Invalidate every translation the CPUs cache for @lpid (all scopes). */
void kvmx_ppc_flush_lpid(unsigned int lpid);

/*
 * In-kernel TCE tables (KVM_CREATE_SPAPR_TCE_64, arch/powerpc/kvm/tce.cpp). The glue
 * installs the table's fd; its mmap shows the table's pages, which the C++ hands out
 * (allocated on first use; NULL past the end or without memory); closing the fd
 * releases the table.
 */
struct kvmx_ppc_tce;
int kvmx_host_ppc_tce_fd_install(struct kvmx_ppc_tce *t); /* the fd or -errno */
void *kvmx_ppc_tce_page(struct kvmx_ppc_tce *t, unsigned long pgoff);
void kvmx_ppc_tce_release(struct kvmx_ppc_tce *t);

/* The assembly entry (arch/powerpc/kvm/hyp/entry.S), called only by the glue. */
void kvmx_ppc_enter_guest(void *kvm_vcpu, unsigned long enter_fn, unsigned long realmode_ret);
extern const char kvmx_ppc_realmode_return[];

#ifdef __cplusplus
}
#endif

#endif /* KVMX_PPC_H */
