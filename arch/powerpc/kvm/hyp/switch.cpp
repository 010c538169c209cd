// SPDX-License-Identifier: GPL-2.0
// The POWER9 world switch: every SPR the guest may see or change is saved for the host,
// loaded for the guest, and swapped back after the exit; the MMU (LPIDR, LPCR, PIDR) is
// switched inside the PACA's guest section. The kernel-layout registers and the HRFID
// itself are the glue's (kvmx_ppc_guest_run, arch/powerpc/kvm/hyp/entry.S).
#include "../ppc.hpp"
#include "registry.hpp"
#include "vcpu.hpp"
#include "vm.hpp"
#include "../xive_native.hpp"

namespace kvmx {

using namespace ppc;

namespace {

// The facilities a guest has without trapping: FP, VMX/VSX, DSCR, TAR. Not: PMU, EBB,
// BHRB, TM (not offered: accesses trap and the guest gets an illegal-instruction
// program interrupt) and MSGP (msgsndp and DPDES trap, kvmx emulates them).
constexpr u64 guest_hfscr = HFSCR_FP | HFSCR_VECVSX | HFSCR_DSCR | HFSCR_TAR;
// PSSCR fields a guest may hold; ESL and EC are forced on so that a guest `stop`
// traps (Hypervisor Facility Unavailable) instead of stopping the thread.
constexpr u64 psscr_guest = 0xf0000000000003ffULL;

struct HostSprs {
	u64 hfscr, psscr, ciabr, pid, amr, iamr, uamor, fscr, dscr, pspb, tar, tidr, vrsave;
	u64 ctrl, sprg3;
};

void save_host(HostSprs &h)
{
	h.hfscr = mfspr<SPR_HFSCR>();
	h.psscr = mfspr<SPR_PSSCR>();
	h.ciabr = mfspr<SPR_CIABR>();
	h.pid = mfspr<SPR_PID>();
	h.amr = mfspr<SPR_AMR>();
	h.iamr = mfspr<SPR_IAMR>();
	h.uamor = mfspr<SPR_UAMOR>();
	h.fscr = mfspr<SPR_FSCR>();
	h.dscr = mfspr<SPR_DSCR>();
	h.pspb = mfspr<SPR_PSPB>();
	h.tar = mfspr<SPR_TAR>();
	h.tidr = mfspr<SPR_TIDR>();
	h.vrsave = mfspr<SPR_VRSAVE>();
	h.ctrl = mfspr<SPR_CTRLF>() & 1;
	h.sprg3 = mfspr<SPR_SPRG3>();
}

void load_guest(const PpcSprs &g)
{
	mtspr<SPR_TAR>(g.tar);
	mtspr<SPR_VRSAVE>(g.vrsave);
	mtspr<SPR_TIDR>(g.tidr);
	mtspr<SPR_IAMR>(g.iamr);
	mtspr<SPR_AMR>(g.amr);
	mtspr<SPR_UAMOR>(g.uamor);
	mtspr<SPR_FSCR>(g.fscr);
	mtspr<SPR_DSCR>(g.dscr);
	mtspr<SPR_PSPB>(g.pspb);
	mtspr<SPR_CIABR>(g.ciabr);
	mtspr<SPR_CTRLT>(g.ctrl & 1);
	mtspr<SPR_PSSCR>((g.psscr & psscr_guest) | PSSCR_EC | PSSCR_ESL);
	mtspr<SPR_HFSCR>(guest_hfscr);
	mtspr<SPR_SPRG0>(g.sprg[0]);
	mtspr<SPR_SPRG1>(g.sprg[1]);
	mtspr<SPR_SPRG2>(g.sprg[2]);
	mtspr<SPR_SPRG3>(g.sprg[3]);
}

void store_guest(PpcSprs &g)
{
	g.tar = mfspr<SPR_TAR>();
	g.vrsave = mfspr<SPR_VRSAVE>();
	g.tidr = mfspr<SPR_TIDR>();
	g.iamr = mfspr<SPR_IAMR>();
	g.amr = mfspr<SPR_AMR>();
	g.uamor = mfspr<SPR_UAMOR>();
	g.fscr = mfspr<SPR_FSCR>();
	g.dscr = mfspr<SPR_DSCR>();
	g.pspb = mfspr<SPR_PSPB>();
	g.ciabr = mfspr<SPR_CIABR>();
	g.ctrl = mfspr<SPR_CTRLF>();
	g.psscr = mfspr<SPR_PSSCR>() & psscr_guest;
	g.sprg[0] = mfspr<SPR_SPRG0>();
	g.sprg[1] = mfspr<SPR_SPRG1>();
	g.sprg[2] = mfspr<SPR_SPRG2>();
	g.sprg[3] = mfspr<SPR_SPRG3>();
	g.ic = mfspr<SPR_IC>();
	g.pid = mfspr<SPR_PID>();
}

void restore_host(const HostSprs &h)
{
	mtspr<SPR_HFSCR>(h.hfscr);
	mtspr<SPR_PSSCR>(h.psscr);
	mtspr<SPR_CIABR>(h.ciabr);
	mtspr<SPR_AMR>(h.amr);
	mtspr<SPR_IAMR>(h.iamr);
	mtspr<SPR_UAMOR>(h.uamor);
	mtspr<SPR_FSCR>(h.fscr);
	mtspr<SPR_DSCR>(h.dscr);
	mtspr<SPR_PSPB>(h.pspb);
	mtspr<SPR_TAR>(h.tar);
	mtspr<SPR_TIDR>(h.tidr);
	mtspr<SPR_VRSAVE>(h.vrsave);
	mtspr<SPR_CTRLT>(h.ctrl);
	mtspr<SPR_SPRG3>(h.sprg3);
	isync();
}

// Move this thread's timebase by @delta, a multiple of 2^24 (KVM_REG_PPC_TB_OFFSET): TBU40
// replaces the upper 40 bits and leaves the low 24 running. If those wrapped between the
// read and the write, the carry into bit 39 was lost: put it back.
void tb_shift(u64 delta)
{
	u64 want = mftb() + delta;
	mtspr<SPR_TBU40>(want);
	if ((mftb() & 0xffffff) < (want & 0xffffff))
		mtspr<SPR_TBU40>(want + 0x1000000);
}

} // namespace

void ppc_world_switch(Vcpu *vcpu, u64 lpcr, s64 hdec)
{
	ArchVcpu &a = vcpu->arch;
	PpcSprs &g = a.spr;
	const kvmx_host_info &host = registry().host;
	HostSprs h;
	save_host(h);
	load_guest(g);
	bool doorbell =
		__atomic_fetch_and(&a.pending, ~pend_doorbell, __ATOMIC_SEQ_CST) & pend_doorbell;
	if (doorbell)
		mtspr<SPR_DPDES>(1);
	mtspr<SPR_HSRR0>(a.regs.nip);
	mtspr<SPR_HSRR1>((a.regs.msr & ~MSR_HV) | MSR_ME);

	// The vCPU's XIVE context goes onto this thread's TIMA OS ring (if connected).
	xive_push(vcpu);
	kvmx_ppc_guest_enter(a.shadow);
	// From here an interrupt is the guest's exit. Stores to host memory must drain
	// before the partition changes (the not-my-partition tlbie logic).
	hwsync();
	isync();
	mtspr<SPR_LPIDR>(vcpu->vm->arch.lpid);
	mtspr<SPR_LPCR>(lpcr);
	mtspr<SPR_PID>(g.pid);
	// The hypervisor decrementer only interrupts with LPCR[HDICE] set: after the LPCR.
	mtspr<SPR_HDEC>(static_cast<u64>(hdec));
	// The guest's timebase: from here to the exit the CPU counts guest time.
	u64 tb_offset = a.tb_offset;
	if (tb_offset)
		tb_shift(tb_offset);
	u64 tb = ppc_tb();
	s64 dec = static_cast<s64>(g.dec_expires - tb);
	if (!(lpcr & LPCR_LD) && dec > 0x7fffffffLL)
		dec = 0x7fffffff;
	mtspr<SPR_DEC>(static_cast<u64>(dec));
	mtspr<SPR_DAR>(g.dar);
	mtspr<SPR_DSISR>(g.dsisr);
	mtspr<SPR_SRR0>(g.srr0);
	mtspr<SPR_SRR1>(g.srr1);

	kvmx_ppc_exit ex;
	kvmx_ppc_guest_run(a.shadow, &a.regs, &ex);

	g.srr0 = mfspr<SPR_SRR0>();
	g.srr1 = mfspr<SPR_SRR1>();
	g.dar = mfspr<SPR_DAR>();
	g.dsisr = mfspr<SPR_DSISR>();
	PpcExit &e = a.exit;
	e.trap = ex.trap;
	e.hdar = ex.hdar;
	e.hdsisr = ex.hdsisr;
	e.heir = 0;
	e.asdr = 0;
	e.hfscr = 0;
	switch (ex.trap) {
	case TRAP_H_EMUL_ASSIST:
		e.heir = mfspr<SPR_HEIR>();
		break;
	case TRAP_H_DATA_STORAGE:
	case TRAP_H_INST_STORAGE:
		e.asdr = mfspr<SPR_ASDR>();
		break;
	case TRAP_H_FAC_UNAVAIL:
		e.hfscr = mfspr<SPR_HFSCR>();
		e.heir = mfspr<SPR_HEIR>();
		break;
	default:
		break;
	}
	store_guest(g);
	if (mfspr<SPR_DPDES>()) {
		__atomic_fetch_or(&a.pending, pend_doorbell, __ATOMIC_SEQ_CST);
		mtspr<SPR_DPDES>(0);
	}
	s64 dec_now = static_cast<s64>(mfspr<SPR_DEC>());
	if (!(lpcr & LPCR_LD))
		dec_now = static_cast<int>(dec_now);
	tb = ppc_tb();
	g.dec_expires = static_cast<u64>(dec_now) + tb;
	if (tb_offset) {
		tb_shift(-tb_offset);
		tb = ppc_tb();
	}

	// Back to the host's partition (LPID 0) and process, then its SPRs.
	hwsync();
	isync();
	mtspr<SPR_PID>(h.pid);
	mtspr<SPR_LPIDR>(host.ppc_host_lpid);
	mtspr<SPR_LPCR>(host.ppc_host_lpcr);
	isync();
	xive_pull(vcpu);
	restore_host(h);
	kvmx_ppc_guest_leave(ex.trap, tb);
}

} // namespace kvmx
