// SPDX-License-Identifier: GPL-2.0
// KVM_GET_ONE_REG / KVM_SET_ONE_REG on POWER9 vCPUs: upstream's register ids and sizes
// (arch/powerpc/include/uapi/asm/kvm.h), -EINVAL for an id kvmx does not know, as
// upstream. Registers the guest runs with, registers kvmx only keeps for the VMM
// (PpcKeptSprs), the timebase offset, the VPA registrations (vpa.cpp) and FP/VMX/VSX
// state (held in the glue's shadow). Must not change how a guest runs beyond what the
// register says.
#include "ppc.hpp"
#include "registry.hpp"
#include "vcpu.hpp"
#include "vm.hpp"
#include "xive_native.hpp"
#include <linux/kvm.h>

namespace kvmx {

using namespace ppc;

namespace {

// Upstream's software breakpoint (KVMPPC_INST_SW_BREAKPOINT): KVM_REG_PPC_DEBUG_INST
// reads it. kvmx has no guest debugging (KVM_CAP_SET_GUEST_DEBUG 0), so a guest that
// executes it takes an illegal-instruction program interrupt, as for any undefined opcode.
constexpr u64 sw_breakpoint_insn = 0x00dddd00;
// KVM_REG_PPC_TB_OFFSET is kept a multiple of 2^24: the hardware changes the upper 40
// bits of the timebase only (TBU40), upstream rounds up the same way.
constexpr u64 tb_offset_align = 1ULL << 24;

// 64-bit registers, by id, as a pointer into the vCPU.
u64 *one_reg_u64(Vcpu *vcpu, u64 id)
{
	ArchVcpu &a = vcpu->arch;
	PpcSprs &s = a.spr;
	PpcKeptSprs &k = a.kept;
	switch (id) {
	case KVM_REG_PPC_DAR:
		return &s.dar;
	case KVM_REG_PPC_DSCR:
		return &s.dscr;
	case KVM_REG_PPC_PURR:
		return &s.purr;
	case KVM_REG_PPC_SPURR:
		return &s.spurr;
	case KVM_REG_PPC_AMR:
		return &s.amr;
	case KVM_REG_PPC_UAMOR:
		return &s.uamor;
	case KVM_REG_PPC_IAMR:
		return &s.iamr;
	case KVM_REG_PPC_FSCR:
		return &s.fscr;
	case KVM_REG_PPC_TAR:
		return &s.tar;
	case KVM_REG_PPC_CIABR:
		return &s.ciabr;
	case KVM_REG_PPC_IC:
		return &s.ic;
	case KVM_REG_PPC_VTB:
		return &s.vtb;
	case KVM_REG_PPC_PID:
		return &s.pid;
	case KVM_REG_PPC_PPR:
		return &a.regs.ppr;
	case KVM_REG_PPC_TIDR:
		return &s.tidr;
	case KVM_REG_PPC_PSSCR:
		return &s.psscr;
	case KVM_REG_PPC_DEC_EXPIRY:
		return &s.dec_expires;
	case KVM_REG_PPC_DAWR:
		return &s.dawr0;
	case KVM_REG_PPC_DAWRX:
		return &s.dawrx0;
	case KVM_REG_PPC_MMCR0:
		return &k.mmcr0;
	case KVM_REG_PPC_MMCR1:
		return &k.mmcr1;
	case KVM_REG_PPC_MMCR2:
		return &k.mmcr2;
	case KVM_REG_PPC_MMCR3:
		return &k.mmcr3;
	case KVM_REG_PPC_MMCRA:
		return &k.mmcra;
	case KVM_REG_PPC_MMCRS:
		return &k.mmcrs;
	case KVM_REG_PPC_SIAR:
		return &k.siar;
	case KVM_REG_PPC_SDAR:
		return &k.sdar;
	case KVM_REG_PPC_SIER:
		return &k.sier;
	case KVM_REG_PPC_SIER2:
		return &k.sier2;
	case KVM_REG_PPC_SIER3:
		return &k.sier3;
	case KVM_REG_PPC_EBBHR:
		return &k.ebbhr;
	case KVM_REG_PPC_EBBRR:
		return &k.ebbrr;
	case KVM_REG_PPC_BESCR:
		return &k.bescr;
	case KVM_REG_PPC_CSIGR:
		return &k.csigr;
	case KVM_REG_PPC_TACR:
		return &k.tacr;
	case KVM_REG_PPC_TCSCR:
		return &k.tcscr;
	case KVM_REG_PPC_WORT:
		return &k.wort;
	case KVM_REG_PPC_ACOP:
		return &k.acop;
	case KVM_REG_PPC_DABR:
		return &k.dabr;
	default:
		return nullptr;
	}
}

// 32-bit registers (kept in 64-bit fields).
u64 *one_reg_u32(Vcpu *vcpu, u64 id)
{
	PpcSprs &s = vcpu->arch.spr;
	PpcKeptSprs &k = vcpu->arch.kept;
	if (id >= KVM_REG_PPC_PMC1 && id <= KVM_REG_PPC_PMC8)
		return &k.pmc[id - KVM_REG_PPC_PMC1];
	switch (id) {
	case KVM_REG_PPC_DSISR:
		return &s.dsisr;
	case KVM_REG_PPC_PSPB:
		return &s.pspb;
	case KVM_REG_PPC_VRSAVE:
		return &s.vrsave;
	case KVM_REG_PPC_SPMC1:
		return &k.spmc[0];
	case KVM_REG_PPC_SPMC2:
		return &k.spmc[1];
	case KVM_REG_PPC_DABRX:
		return &k.dabrx;
	case KVM_REG_PPC_ONLINE:
		return &k.online;
	default:
		return nullptr;
	}
}

constexpr u64 lpcr_id_64 = KVM_REG_PPC_LPCR_64, lpcr_id_32 = KVM_REG_PPC_LPCR;

bool is_vpa_reg(u64 id)
{
	return id == KVM_REG_PPC_VPA_ADDR || id == KVM_REG_PPC_VPA_SLB || id == KVM_REG_PPC_VPA_DTL;
}

// The value of a register that is not a plain field (get), or -EINVAL for an unknown id.
// *vsr_idx >= 0 for the FP/VMX/VSX registers held by the glue.
long get_special(Vcpu *vcpu, u64 id, u64 val[2], int *vsr_idx)
{
	ArchVcpu &a = vcpu->arch;
	if (id == lpcr_id_64 || id == lpcr_id_32) {
		// The LPCR the vCPU runs with, as upstream shows it (writes keep only the
		// per-vCPU fields).
		val[0] = load_acquire(&vcpu->vm->arch.lpcr) | (a.spr.lpcr & LPCR_VCPU_MASK);
	} else if (id == KVM_REG_PPC_ARCH_COMPAT) {
		val[0] = 0; // the host's own level (POWER9): no compatibility mode
	} else if (id == KVM_REG_PPC_DPDES) {
		// Pending directed privileged doorbells of this thread.
		val[0] = (load_acquire(&a.pending) & pend_doorbell) ? 1 : 0;
	} else if (id == KVM_REG_PPC_VP_STATE) {
		// The XIVE thread context (128 bits): only a connected vCPU has one.
		return xive_get_vp_state(vcpu, val);
	} else if (id == KVM_REG_PPC_TB_OFFSET) {
		val[0] = a.tb_offset;
	} else if (id == KVM_REG_PPC_DEBUG_INST) {
		val[0] = sw_breakpoint_insn;
	} else if (id == KVM_REG_PPC_PTCR) {
		val[0] = load_acquire(&vcpu->vm->arch.ptcr);
	} else if (is_vpa_reg(id)) {
		return ppc_vpa_get_reg(vcpu, id, val);
	} else if (id == KVM_REG_PPC_FPSCR) {
		val[0] = kvmx_ppc_shadow_get_fpscr(a.shadow);
	} else if (id == KVM_REG_PPC_VSCR) {
		val[0] = kvmx_ppc_shadow_get_vscr(a.shadow);
	} else if (id >= KVM_REG_PPC_FPR0 && id <= KVM_REG_PPC_FPR31) {
		val[0] = kvmx_ppc_shadow_get_fpr(a.shadow, static_cast<u32>(id - KVM_REG_PPC_FPR0));
	} else if (id >= KVM_REG_PPC_VSR0 && id <= KVM_REG_PPC_VSR31) {
		*vsr_idx = static_cast<int>(id - KVM_REG_PPC_VSR0);
	} else if (id >= KVM_REG_PPC_VR0 && id <= KVM_REG_PPC_VR31) {
		*vsr_idx = 32 + static_cast<int>(id - KVM_REG_PPC_VR0);
	} else {
		return -EINVAL; // upstream's answer for an id it does not know
	}
	if (*vsr_idx >= 0)
		kvmx_ppc_shadow_get_vsr(a.shadow, static_cast<u32>(*vsr_idx), val);
	return 0;
}

long set_special(Vcpu *vcpu, u64 id, const u64 val[2], int vsr_idx)
{
	ArchVcpu &a = vcpu->arch;
	if (id == lpcr_id_64 || id == lpcr_id_32) {
		// Other fields are dropped, as upstream's filter drops what it does not allow.
		// AIL as upstream's filter: only 3 is kept (1 is reserved, 2 not supported),
		// and only where the host can take a radix guest's hypervisor interrupts with
		// translation on (KVM_CAP_PPC_AIL_MODE_3, virt/kvmx/arch-powerpc.c), as
		// upstream drops it on the POWER9s that cannot.
		u64 keep = id == lpcr_id_32 ? a.spr.lpcr & ~0xffffffffULL : 0;
		u64 lpcr = (val[0] & LPCR_VCPU_MASK) | keep;
		if ((lpcr & LPCR_AIL) != LPCR_AIL_3 || !registry().host.ppc_ail3)
			lpcr &= ~LPCR_AIL;
		a.spr.lpcr = lpcr;
	} else if (id == KVM_REG_PPC_ARCH_COMPAT) {
		if (val[0])
			return -EINVAL; // compatibility modes are not implemented
	} else if (id == KVM_REG_PPC_DPDES) {
		if (val[0] & 1)
			__atomic_fetch_or(&a.pending, pend_doorbell, __ATOMIC_SEQ_CST);
		else
			__atomic_fetch_and(&a.pending, ~pend_doorbell, __ATOMIC_SEQ_CST);
	} else if (id == KVM_REG_PPC_VP_STATE) {
		return xive_set_vp_state(vcpu, val);
	} else if (id == KVM_REG_PPC_TB_OFFSET) {
		// Rounded up to the next multiple of 2^24 (wrapping as upstream's ALIGN does).
		a.tb_offset = (val[0] + tb_offset_align - 1) & ~(tb_offset_align - 1);
	} else if (id == KVM_REG_PPC_PTCR) {
		store_release(&vcpu->vm->arch.ptcr, val[0]);
	} else if (is_vpa_reg(id)) {
		return ppc_vpa_set_reg(vcpu, id, val);
	} else if (id == KVM_REG_PPC_FPSCR) {
		kvmx_ppc_shadow_set_fpscr(a.shadow, val[0]);
	} else if (id == KVM_REG_PPC_VSCR) {
		kvmx_ppc_shadow_set_vscr(a.shadow, static_cast<u32>(val[0]));
	} else if (id >= KVM_REG_PPC_FPR0 && id <= KVM_REG_PPC_FPR31) {
		kvmx_ppc_shadow_set_fpr(a.shadow, static_cast<u32>(id - KVM_REG_PPC_FPR0), val[0]);
	} else if (vsr_idx >= 0) {
		kvmx_ppc_shadow_set_vsr(a.shadow, static_cast<u32>(vsr_idx), val);
	} else {
		return -EINVAL; // read-only (DEBUG_INST) or unknown
	}
	return 0;
}

} // namespace

long ppc_one_reg(Vcpu *vcpu, unsigned long arg, bool set)
{
	kvm_one_reg reg;
	if (kvmx_host_copy_from_user(&reg, arg, sizeof(reg)))
		return -EFAULT;
	u64 size = 1ULL << ((reg.id & KVM_REG_SIZE_MASK) >> KVM_REG_SIZE_SHIFT);
	u64 val[2] = { 0, 0 };
	if (size > sizeof(val))
		return -EINVAL;
	u64 *p = one_reg_u64(vcpu, reg.id);
	if (!p)
		p = one_reg_u32(vcpu, reg.id);
	int vsr_idx = -1;
	if (p) {
		val[0] = *p;
	} else {
		long r = get_special(vcpu, reg.id, val, &vsr_idx);
		if (r)
			return r;
	}
	if (!set)
		return kvmx_host_copy_to_user(reg.addr, val, size) ? -EFAULT : 0;
	if (kvmx_host_copy_from_user(val, reg.addr, size))
		return -EFAULT;
	if (size == 4)
		val[0] &= 0xffffffffULL;
	if (p) {
		*p = val[0];
		return 0;
	}
	return set_special(vcpu, reg.id, val, vsr_idx);
}

} // namespace kvmx
