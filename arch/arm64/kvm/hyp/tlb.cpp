// SPDX-License-Identifier: GPL-2.0
// EL2 maintenance the rest of the arm64 code asks for by name: stage-2 TLB invalidation
// for a VMID, instruction-cache synchronisation of a page, the generic counter.
#include "switch.hpp"
#include "sysreg.hpp"

namespace kvmx {

void arm64_tlb_flush_vmid(u64 vttbr)
{
	// TLBI VMALLS12E1IS acts on the VMID in VTTBR_EL2, and with HCR_EL2.TGE=1 it would
	// hit the host's EL2&0 regime instead: switch both for the duration (IRQs off, so
	// nothing runs under the guest's settings).
	unsigned long flags = kvmx_host_irq_save();
	const u64 host_vttbr = kvmx_read_sysreg(vttbr_el2);
	const u64 host_hcr = kvmx_read_sysreg(hcr_el2);
	kvmx_write_sysreg(vttbr, vttbr_el2);
	kvmx_write_sysreg(host_hcr & ~(1ULL << 27), hcr_el2); // TGE = 0
	isb();
	asm volatile("dsb ishst\n\ttlbi vmalls12e1is\n\tdsb ish" ::: "memory");
	isb();
	kvmx_write_sysreg(host_hcr, hcr_el2);
	kvmx_write_sysreg(host_vttbr, vttbr_el2);
	isb();
	kvmx_host_irq_restore(flags);
}

void arm64_sync_icache(const void *va, u64 size)
{
	// CTR_EL0 line sizes (D17.2.34): DminLine [19:16], IminLine [3:0], log2 of words.
	const u64 ctr = kvmx_read_sysreg(ctr_el0);
	const u64 dline = 4ULL << ((ctr >> 16) & 0xf), iline = 4ULL << (ctr & 0xf);
	const char *p = static_cast<const char *>(va), *end = p + size;
	if (!(ctr & (1ULL << 28))) { // IDC: clean to PoU needed
		for (const char *q = p; q < end; q += dline)
			asm volatile("dc cvau, %0" ::"r"(q) : "memory");
	}
	asm volatile("dsb ish" ::: "memory");
	if (!(ctr & (1ULL << 29))) { // DIC: invalidation to PoU needed
		for (const char *q = p; q < end; q += iline)
			asm volatile("ic ivau, %0" ::"r"(q) : "memory");
	}
	asm volatile("dsb ish\n\tisb" ::: "memory");
}

u64 arm64_counter()
{
	isb();
	return kvmx_read_sysreg(cntpct_el0);
}

u64 arm64_counter_freq()
{
	return kvmx_read_sysreg(cntfrq_el0);
}

} // namespace kvmx
