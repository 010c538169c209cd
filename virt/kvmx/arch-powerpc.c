// SPDX-License-Identifier: GPL-2.0
/*
 * POWER glue. The host check: kvmx needs the kernel itself to be the hypervisor
 * (powernv, MSR[HV] set, CPU_FTR_HVMODE), on ISA 3.0 (POWER9) with the radix MMU. A
 * pseries guest kernel (PowerVM, or KVM's nested HV) is not one: there kvmx loads in "no
 * hypervisor mode" (kvmx_host_info.ppc_no_hv) without touching any hypervisor resource,
 * so that VMMs can probe /dev/kvm and read 0 for the POWER capabilities.
 *
 * And the guest entry contract (include/kvmx/ppc.h, Documentation/virt/kvmx/powerpc.rst):
 * the kernel's interrupt vectors hand an interrupt taken from a guest to the built-in
 * exit path when the PACA says "P9 guest"; that path stores the guest registers into a
 * block laid out as the kernel's struct kvm_vcpu and returns from kvmppc_p9_enter_guest.
 * This file owns those kernel-layout blocks and the PACA; the SPR switching around them
 * is kvmx's C++ (arch/powerpc/kvm/hyp/switch.cpp).
 */
#include <linux/cache.h>
#include <linux/bitmap.h>
#include <linux/kvm_host.h>
#include <linux/mm.h>
#include <linux/of.h>
#include <linux/printk.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/vmalloc.h>
#include <asm/asm-prototypes.h>
#include <asm/cputable.h>
#include <asm/cpu_has_feature.h>
#include <asm/exception-64s.h>
#include <asm/firmware.h>
#include <asm/hw_irq.h>
#include <asm/interrupt.h>
#include <asm/kvm_book3s_asm.h>
#include <asm/mmu.h>
#include <asm/paca.h>
#include <asm/processor.h>
#include <asm/pte-walk.h>
#include <asm/reg.h>
#include <asm/switch_to.h>
#include <asm/time.h>
#include <asm/tlbflush.h>

#include "glue.h"
#include <kvmx/ppc.h>

/*
 * LPIDs: as many as the partition table has entries (mmu_lpid_bits: 12 on POWER9), at
 * most 4096; LPID 0 is the host's and kvm-hv keeps the highest for itself, so do we.
 */
#define KVMX_PPC_MAX_LPIDS 4096u
static unsigned int kvmx_ppc_nr_lpids;

/*
 * The struct kvm every shadow vCPU points to: kvmppc_p9_enter_guest reads
 * arch.secure_guest (0: no ultravisor), the bad-interrupt path arch.host_lpid and
 * arch.host_lpcr. Read-only after load, and read in real mode: kmalloc'ed (linear map).
 */
static struct kvm *kvmx_ppc_kvm;
static unsigned long kvmx_ppc_realmode_ret; /* linear alias of kvmx_ppc_realmode_return */
/*
 * The linear-map PTE of that alias, and its value before kvmx made it executable (AIL=3
 * guests, kvmx_ppc_stub_exec): restored when kvmx unloads. NULL: left untouched.
 */
static pte_t *kvmx_ppc_stub_ptep;
static unsigned long kvmx_ppc_stub_pte_old;
static DEFINE_SPINLOCK(kvmx_ppc_lpid_lock);
static DECLARE_BITMAP(kvmx_ppc_lpids, KVMX_PPC_MAX_LPIDS);

/*
 * The guest's FP/VMX/VSX registers stay in the CPU from one exit to the next entry while
 * the vCPU thread handles exits in the kernel (fp_live), instead of a store and a load
 * around every in-kernel round trip. They are stored into vcpu.arch.fp/vr before anything
 * else may use those registers: the thread being scheduled out (sched_out, a preempt
 * notifier registered for the whole KVM_RUN), the end of KVM_RUN, and any exit handler
 * that may fault in or copy memory (the kernel's copy and page-copy routines use VMX in
 * process context) or read the registers (kvmx_ppc_fp_sync, called by the C++).
 */
struct kvmx_ppc_shadow {
	struct kvm_vcpu vcpu;	      /* written by the exit path in real mode: kmalloc'ed */
	struct kvmx_sched_hook *hook; /* sched_out while in KVM_RUN: kvmx_ppc_sched_out */
	bool fp_live; /* the CPU holds the guest's FP/VMX/VSX state, vcpu.arch.fp/vr stale */
};

/*
 * The radix page sizes the MMU offers, from the kernel's page-size table (filled from the
 * firmware's ibm,processor-radix-AP-encodings): shift | AP << 29, as KVM_PPC_GET_RMMU_INFO
 * reports them.
 */
static void kvmx_ppc_radix_page_sizes(struct kvmx_host_info *info)
{
	static const int psizes[] = { MMU_PAGE_4K, MMU_PAGE_64K, MMU_PAGE_2M, MMU_PAGE_1G };
	unsigned int i, n = 0;

	for (i = 0; i < ARRAY_SIZE(psizes); i++) {
		const struct mmu_psize_def *d = &mmu_psize_defs[psizes[i]];

		if (d->shift)
			info->ppc_radix_ap[n++] = d->shift | (u32)d->ap << 29;
	}
}

/* A feature node below ibm,opal/fw-features that has property @state ("enabled", ...). */
static bool kvmx_ppc_fw_feature(struct device_node *features, const char *state, const char *name)
{
	struct device_node *np = of_get_child_by_name(features, name);
	bool r = np && of_find_property(np, state, NULL);

	of_node_put(np);
	return r;
}

/*
 * The CPU's speculation characteristics as OPAL's device tree states them (skiboot's
 * ibm,opal/fw-features/<feature> nodes, each "enabled" or "disabled"), in the
 * H_GET_CPU_CHARACTERISTICS encoding KVM_PPC_GET_CPU_CHAR uses. No node: all 0.
 */
static void kvmx_ppc_cpu_char(struct kvmx_host_info *info)
{
	static const struct {
		const char *name;
		u64 bit;
	} chars[] = {
		{ "inst-spec-barrier-ori31,31,0", KVM_PPC_CPU_CHAR_SPEC_BAR_ORI31 },
		{ "fw-bcctrl-serialized", KVM_PPC_CPU_CHAR_BCCTRL_SERIALISED },
		{ "inst-l1d-flush-ori30,30,0", KVM_PPC_CPU_CHAR_L1D_FLUSH_ORI30 },
		{ "inst-l1d-flush-trig2", KVM_PPC_CPU_CHAR_L1D_FLUSH_TRIG2 },
		{ "fw-l1d-thread-split", KVM_PPC_CPU_CHAR_L1D_THREAD_PRIV },
		{ "fw-count-cache-disabled", KVM_PPC_CPU_CHAR_COUNT_CACHE_DIS },
		{ "fw-count-cache-flush-bcctr2,0,0", KVM_PPC_CPU_CHAR_BCCTR_FLUSH_ASSIST },
	};
	struct device_node *opal, *features;
	u64 *cc = info->ppc_cpu_char;
	unsigned int i;

	opal = of_find_node_by_name(NULL, "ibm,opal");
	features = opal ? of_get_child_by_name(opal, "fw-features") : NULL;
	of_node_put(opal);
	if (!features)
		return;
	for (i = 0; i < ARRAY_SIZE(chars); i++) {
		if (kvmx_ppc_fw_feature(features, "enabled", chars[i].name))
			cc[0] |= chars[i].bit;
		cc[2] |= chars[i].bit;
	}
	/* Behaviour: the flushes and barriers are needed unless firmware says otherwise. */
	if (kvmx_ppc_fw_feature(features, "enabled", "speculation-policy-favor-security"))
		cc[1] |= KVM_PPC_CPU_BEHAV_FAVOUR_SECURITY;
	if (!kvmx_ppc_fw_feature(features, "disabled", "needs-l1d-flush-msr-pr-0-to-1"))
		cc[1] |= KVM_PPC_CPU_BEHAV_L1D_FLUSH_PR;
	if (!kvmx_ppc_fw_feature(features, "disabled", "needs-spec-barrier-for-bound-checks"))
		cc[1] |= KVM_PPC_CPU_BEHAV_BNDS_CHK_SPEC_BAR;
	if (kvmx_ppc_fw_feature(features, "enabled", "needs-count-cache-flush-on-context-switch"))
		cc[1] |= KVM_PPC_CPU_BEHAV_FLUSH_COUNT_CACHE;
	cc[3] = KVM_PPC_CPU_BEHAV_FAVOUR_SECURITY | KVM_PPC_CPU_BEHAV_L1D_FLUSH_PR |
		KVM_PPC_CPU_BEHAV_BNDS_CHK_SPEC_BAR | KVM_PPC_CPU_BEHAV_FLUSH_COUNT_CACHE;
	of_node_put(features);
}

/*
 * The kernel's page table (init_mm's, not exported): the root the MMU itself uses for
 * the kernel's quadrant in hypervisor state, process table entry 0 of partition 0, found
 * from PTCR. Both tables are big-endian.
 */
static pgd_t *kvmx_ppc_kernel_pgd(void)
{
	const struct patb_entry *patb = __va(mfspr(SPRN_PTCR) & PRTB_MASK);
	const struct prtb_entry *prtb = __va(be64_to_cpu(patb[0].patb1) & PRTB_MASK);

	return __va(be64_to_cpu(prtb[0].prtb0) & RPDB_MASK);
}

/*
 * A radix guest running with LPCR[AIL] = 3 takes its hypervisor interrupts with
 * translation on (MSR[IR|DR] = 1, at the kernel's relocated vectors), as the kernel's
 * exception code says ("in nested radix mode these can be delivered in virt-mode"). The
 * kernel's exit path then returns to the stub's linear alias with translation on, where
 * the linear map is not executable (only the kernel's own text is). So the alias is made
 * read-only and executable, the same permissions as the module text it aliases, when the
 * linear map holds that page in a PTE of its own. A huge leaf (2 MB or 1 GB linear
 * mappings) would need the whole range made executable: kvmx does not, and guests run with
 * AIL = 0 there (KVM_CAP_PPC_AIL_MODE_3 reads 0), as upstream on the POWER9s where it must.
 */
static bool kvmx_ppc_stub_exec(unsigned long alias, struct page *stub_page)
{
	unsigned long page = alias & PAGE_MASK;
	unsigned int shift = 0;
	pte_t *ptep;

	ptep = __find_linux_pte(kvmx_ppc_kernel_pgd(), page, NULL, &shift);
	if (ptep && pte_present(*ptep) && shift && shift != PAGE_SHIFT) {
		pr_info("kvmx: the linear map holds the guest-exit stub in a %u-bit page: guests run with LPCR[AIL] = 0 (KVM_CAP_PPC_AIL_MODE_3 0)\n",
			shift);
		return false;
	}
	if (!ptep || !pte_present(*ptep) || pte_pfn(*ptep) != page_to_pfn(stub_page)) {
		pr_warn("kvmx: the kernel's page table does not map the guest-exit stub where expected: guests run with LPCR[AIL] = 0 (KVM_CAP_PPC_AIL_MODE_3 0)\n");
		return false;
	}
	kvmx_ppc_stub_pte_old = __radix_pte_update(ptep, _PAGE_WRITE, _PAGE_EXEC);
	kvmx_ppc_stub_ptep = ptep;
	radix__flush_tlb_kernel_range(page, page + PAGE_SIZE);
	return true;
}

static void kvmx_ppc_stub_restore(void)
{
	unsigned long page = kvmx_ppc_realmode_ret & PAGE_MASK;
	unsigned long old = kvmx_ppc_stub_pte_old;

	if (!kvmx_ppc_stub_ptep)
		return;
	__radix_pte_update(kvmx_ppc_stub_ptep, _PAGE_EXEC | _PAGE_WRITE,
			   old & (_PAGE_EXEC | _PAGE_WRITE));
	radix__flush_tlb_kernel_range(page, page + PAGE_SIZE);
	kvmx_ppc_stub_ptep = NULL;
}

int kvmx_arch_host_check(struct kvmx_host_info *info)
{
	unsigned long stub = (unsigned long)kvmx_ppc_realmode_return;
	struct page *page;

	info->ppc_pvr = mfspr(SPRN_PVR);
	info->ppc_page_shift = PAGE_SHIFT;
	if (!cpu_has_feature(CPU_FTR_HVMODE)) {
		/*
		 * A guest kernel: LPCR, LPIDR, the partition table and HV interrupts belong to
		 * the real hypervisor, so nothing below may run. Load anyway, with /dev/kvm for
		 * probing only: the capabilities say what cannot work instead of a failed insmod.
		 */
		pr_warn("kvmx: the kernel is not running in hypervisor mode (pseries or a guest): no hypervisor mode, /dev/kvm is for probing only and KVM_CREATE_VM fails; to run guests boot a powernv host (e.g. QEMU -M powernv9)\n");
		info->ppc_no_hv = 1;
		return 0;
	}
	if (!cpu_has_feature(CPU_FTR_ARCH_300)) {
		pr_err("kvmx: POWER before ISA 3.0 (POWER9) is not supported\n");
		return -ENODEV;
	}
	if (!radix_enabled()) {
		pr_err("kvmx: the host uses the hash MMU; kvmx needs a radix host (do not boot with disable_radix)\n");
		return -ENODEV;
	}
	if (cpu_has_feature(CPU_FTR_P9_RADIX_PREFETCH_BUG)) {
		pr_err("kvmx: POWER9 DD2.1 or older (radix prefetch bug) is not supported\n");
		return -ENODEV;
	}
	/* The return stub must be reachable in real mode: its page's linear alias. */
	page = vmalloc_to_page((void *)stub);
	if (!page) {
		pr_err("kvmx: cannot find the physical page of the guest-exit stub\n");
		return -ENODEV;
	}
	kvmx_ppc_realmode_ret = (unsigned long)page_address(page) + offset_in_page(stub);
	info->ppc_ail3 = kvmx_ppc_stub_exec(kvmx_ppc_realmode_ret, page);
	if (!kvmx_ppc_kvm) {
		kvmx_ppc_kvm = kzalloc(sizeof(*kvmx_ppc_kvm), GFP_KERNEL);
		if (!kvmx_ppc_kvm)
			return -ENOMEM;
	}
	kvmx_ppc_kvm->arch.host_lpid = mfspr(SPRN_LPID);
	kvmx_ppc_kvm->arch.host_lpcr = mfspr(SPRN_LPCR);
	kvmx_ppc_nr_lpids = 1u << min(mmu_lpid_bits, 12u);
	bitmap_zero(kvmx_ppc_lpids, KVMX_PPC_MAX_LPIDS);
	set_bit(0, kvmx_ppc_lpids);			/* the host */
	set_bit(kvmx_ppc_nr_lpids - 1, kvmx_ppc_lpids); /* LPID_RSVD */
	info->ppc_hv_radix = 1;
	info->ppc_host_lpcr = mfspr(SPRN_LPCR);
	info->ppc_host_lpid = mfspr(SPRN_LPID);
	info->ppc_tb_freq = tb_ticks_per_sec;
	info->ppc_decrementer_max = decrementer_max;
	kvmx_ppc_radix_page_sizes(info);
	kvmx_ppc_cpu_char(info);
	return 0;
}

void kvmx_arch_host_release(void)
{
	kvmx_ppc_stub_restore();
	kfree(kvmx_ppc_kvm);
	kvmx_ppc_kvm = NULL;
}

static const unsigned long kvmx_ppc_fp_msr = MSR_FP | MSR_VEC | MSR_VSX;

/* Interrupts off or preemption disabled: the CPU's FP/VMX/VSX registers into the shadow. */
static void kvmx_ppc_fp_store(struct kvmx_ppc_shadow *s)
{
	if (!s->fp_live)
		return;
	msr_check_and_set(kvmx_ppc_fp_msr);
	store_fp_state(&s->vcpu.arch.fp);
	store_vr_state(&s->vcpu.arch.vr);
	s->fp_live = false;
}

/* The thread leaves the CPU: whatever runs next may load its own FP/VMX state. */
static void kvmx_ppc_sched_out(void *shadow)
{
	kvmx_ppc_fp_store(shadow);
}

/*
 * The scheduler hook is the core's (sched.c, as arm64's EL1 state uses it). Without
 * preempt notifiers (every Debian kernel has them: KVM selects them) no shadow can exist.
 */
struct kvmx_ppc_shadow *kvmx_ppc_shadow_create(void)
{
	struct kvmx_ppc_shadow *s = kzalloc(sizeof(*s), GFP_KERNEL_ACCOUNT);

	if (!s)
		return NULL;
	s->vcpu.kvm = kvmx_ppc_kvm;
	s->hook = kvmx_host_sched_hook_create(kvmx_ppc_sched_out, s);
	if (!s->hook) {
		kfree(s);
		return NULL;
	}
	return s;
}

void kvmx_ppc_shadow_destroy(struct kvmx_ppc_shadow *shadow)
{
	if (!shadow)
		return;
	kvmx_host_sched_hook_destroy(shadow->hook);
	kfree(shadow);
}

void kvmx_ppc_run_begin(struct kvmx_ppc_shadow *s)
{
	kvmx_host_sched_hook_enter(s->hook);
}

void kvmx_ppc_run_end(struct kvmx_ppc_shadow *s)
{
	preempt_disable();
	kvmx_ppc_fp_store(s);
	preempt_enable();
	kvmx_host_sched_hook_leave(s->hook);
}

void kvmx_ppc_fp_sync(struct kvmx_ppc_shadow *s)
{
	preempt_disable();
	kvmx_ppc_fp_store(s);
	preempt_enable();
}

void kvmx_ppc_shadow_get_vsr(struct kvmx_ppc_shadow *s, unsigned int idx, kvmx_u64 val[2])
{
	if (idx < 32) {
		val[0] = s->vcpu.arch.fp.fpr[idx][0];
		val[1] = s->vcpu.arch.fp.fpr[idx][1];
	} else if (idx < 64) {
		memcpy(val, &s->vcpu.arch.vr.vr[idx - 32], 16);
	}
}

void kvmx_ppc_shadow_set_vsr(struct kvmx_ppc_shadow *s, unsigned int idx, const kvmx_u64 val[2])
{
	if (idx < 32) {
		s->vcpu.arch.fp.fpr[idx][0] = val[0];
		s->vcpu.arch.fp.fpr[idx][1] = val[1];
	} else if (idx < 64) {
		memcpy(&s->vcpu.arch.vr.vr[idx - 32], val, 16);
	}
}

/* The FPR is one doubleword of VSR idx, which one depends on the kernel's byte order. */
kvmx_u64 kvmx_ppc_shadow_get_fpr(struct kvmx_ppc_shadow *s, unsigned int idx)
{
	return idx < 32 ? s->vcpu.arch.fp.fpr[idx][TS_FPROFFSET] : 0;
}

void kvmx_ppc_shadow_set_fpr(struct kvmx_ppc_shadow *s, unsigned int idx, kvmx_u64 val)
{
	if (idx < 32)
		s->vcpu.arch.fp.fpr[idx][TS_FPROFFSET] = val;
}

kvmx_u64 kvmx_ppc_shadow_get_fpscr(struct kvmx_ppc_shadow *s)
{
	return s->vcpu.arch.fp.fpscr;
}

void kvmx_ppc_shadow_set_fpscr(struct kvmx_ppc_shadow *s, kvmx_u64 val)
{
	s->vcpu.arch.fp.fpscr = val;
}

/* VSCR is the last word of the 128-bit save slot, where mfvscr puts it. */
unsigned int kvmx_ppc_shadow_get_vscr(struct kvmx_ppc_shadow *s)
{
	return s->vcpu.arch.vr.vscr.u[3];
}

void kvmx_ppc_shadow_set_vscr(struct kvmx_ppc_shadow *s, unsigned int val)
{
	s->vcpu.arch.vr.vscr.u[3] = val;
}

unsigned long kvmx_ppc_irq_hard_disable(void)
{
	unsigned long flags;

	local_irq_save(flags);
	hard_irq_disable();
	return flags;
}

void kvmx_ppc_irq_restore(unsigned long flags)
{
	local_irq_restore(flags);
}

kvmx_u64 kvmx_ppc_host_next_tb(void)
{
	return timer_get_next_tb();
}

void kvmx_ppc_guest_enter(struct kvmx_ppc_shadow *s)
{
	local_paca->kvm_hstate.kvm_vcpu = &s->vcpu;
	local_paca->kvm_hstate.ptid = 0;
	local_paca->kvm_hstate.fake_suspend = 0;
	WRITE_ONCE(local_paca->kvm_hstate.in_guest, KVM_GUEST_MODE_HV_P9);
	barrier();
}

void kvmx_ppc_guest_run(struct kvmx_ppc_shadow *s, struct kvmx_ppc_regs *regs,
			struct kvmx_ppc_exit *exit)
{
	struct kvm_vcpu *v = &s->vcpu;
	u64 *ex;
	int trap;

	/*
	 * The guest gets the FP/VMX/VSX registers: the user's were saved to the thread at
	 * the first entry of this KVM_RUN (kvmppc_save_user_regs gives them up, so they are
	 * reloaded on the way back to user space), the guest's live in the shadow between
	 * runs.
	 */
	msr_check_and_set(
		MSR_FP | MSR_VEC | MSR_VSX |
		(cpu_has_feature(CPU_FTR_TM) ? MSR_TM : 0)); /* to save the user's TM SPRs */
	kvmppc_save_user_regs();
	if (!s->fp_live) {
		load_fp_state(&v->arch.fp);
		load_vr_state(&v->arch.vr);
	}

	memcpy(v->arch.regs.gpr, regs->gpr, sizeof(regs->gpr));
	v->arch.regs.nip = regs->nip;
	v->arch.regs.ccr = regs->cr;
	v->arch.regs.link = regs->lr;
	v->arch.regs.ctr = regs->ctr;
	v->arch.regs.xer = regs->xer;
	v->arch.cfar = regs->cfar;
	v->arch.ppr = regs->ppr;
	v->arch.shregs.msr = regs->msr;

	kvmx_ppc_enter_guest(v, (unsigned long)kvmppc_p9_enter_guest, kvmx_ppc_realmode_ret);

	/* 0x2 marks HSRR interrupts for the P7/P8 paths only. */
	trap = local_paca->kvm_hstate.scratch0 & ~0x2;
	if (trap > BOOK3S_INTERRUPT_MACHINE_CHECK)
		ex = local_paca->exgen;
	else if (trap == BOOK3S_INTERRUPT_SYSTEM_RESET)
		ex = local_paca->exnmi;
	else
		ex = local_paca->exmc;
	memcpy(regs->gpr, v->arch.regs.gpr, sizeof(regs->gpr));
	regs->gpr[1] = local_paca->kvm_hstate.scratch1;
	regs->gpr[3] = local_paca->kvm_hstate.scratch2;
	regs->gpr[9] = ex[EX_R9 / sizeof(u64)];
	regs->gpr[10] = ex[EX_R10 / sizeof(u64)];
	regs->gpr[11] = ex[EX_R11 / sizeof(u64)];
	regs->gpr[12] = ex[EX_R12 / sizeof(u64)];
	regs->gpr[13] = ex[EX_R13 / sizeof(u64)];
	regs->ppr = ex[EX_PPR / sizeof(u64)];
	regs->cfar = ex[EX_CFAR / sizeof(u64)];
	regs->ctr = ex[EX_CTR / sizeof(u64)];
	regs->nip = v->arch.regs.nip;
	regs->msr = v->arch.shregs.msr;
	regs->cr = v->arch.regs.ccr;
	regs->lr = v->arch.regs.link;
	regs->xer = v->arch.regs.xer;
	exit->trap = trap;
	exit->hdar = 0;
	exit->hdsisr = 0;
	if (trap == BOOK3S_INTERRUPT_H_DATA_STORAGE || trap == BOOK3S_INTERRUPT_MACHINE_CHECK) {
		exit->hdar = ex[EX_DAR / sizeof(u64)];
		exit->hdsisr = *(u32 *)((char *)ex + EX_DSISR);
	}

	s->fp_live = true; /* stored when needed (see struct kvmx_ppc_shadow) */
}

void kvmx_ppc_guest_leave(int trap, kvmx_u64 tb)
{
	/* HDEC must be at least as large as DEC, so that decrementer_max fits. */
	mtspr(SPRN_HDEC, decrementer_max);
	timer_rearm_host_dec(tb);
	barrier();
	WRITE_ONCE(local_paca->kvm_hstate.in_guest, KVM_GUEST_MODE_NONE);
	switch (trap) {
	case BOOK3S_INTERRUPT_EXTERNAL:
	case BOOK3S_INTERRUPT_H_VIRT:
		local_paca->irq_happened |= PACA_IRQ_EE;
		break;
	case BOOK3S_INTERRUPT_H_DOORBELL:
		local_paca->irq_happened |= PACA_IRQ_DBELL;
		break;
	case BOOK3S_INTERRUPT_HMI:
		local_paca->irq_happened |= PACA_IRQ_HMI;
		break;
	case BOOK3S_INTERRUPT_SYSTEM_RESET:
		replay_system_reset();
		break;
	}
}

int kvmx_ppc_lpid_alloc(void)
{
	unsigned long lpid;

	spin_lock(&kvmx_ppc_lpid_lock);
	lpid = find_first_zero_bit(kvmx_ppc_lpids, kvmx_ppc_nr_lpids);
	if (lpid < kvmx_ppc_nr_lpids)
		set_bit(lpid, kvmx_ppc_lpids);
	spin_unlock(&kvmx_ppc_lpid_lock);
	return lpid < kvmx_ppc_nr_lpids ? (int)lpid : -ENOSPC;
}

void kvmx_ppc_lpid_free(unsigned int lpid)
{
	if (!lpid || lpid >= kvmx_ppc_nr_lpids - 1)
		return;
	spin_lock(&kvmx_ppc_lpid_lock);
	clear_bit(lpid, kvmx_ppc_lpids);
	spin_unlock(&kvmx_ppc_lpid_lock);
}

void kvmx_ppc_set_partition(unsigned int lpid, kvmx_u64 dw0, kvmx_u64 dw1)
{
	mmu_partition_table_set_entry(lpid, dw0, dw1, true);
}

void kvmx_ppc_flush_lpid(unsigned int lpid)
{
	radix__flush_all_lpid(lpid);
}
