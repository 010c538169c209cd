// SPDX-License-Identifier: GPL-2.0
// The PAPR per-processor areas a guest registers with H_REGISTER_VPA: the Virtual
// Processor Area (VPA, the lppaca), the SLB shadow buffer and the Dispatch Trace Log (DTL),
// and the ONE_REG registers that carry the registrations to and from the VMM
// (KVM_REG_PPC_VPA_ADDR/SLB/DTL). kvmx records where they are; it does not write into
// them (no dispatch counts, no trace entries: Documentation/virt/kvmx/powerpc.rst).
#include "ppc.hpp"
#include "vcpu.hpp"
#include "vm.hpp"
#include <linux/kvm.h>

namespace kvmx {

namespace {

// PAPR H_REGISTER_VPA: the subfunction in bits 16-18 (IBM numbering) of the flags.
constexpr u32 vpa_func_shift = 63 - 18;
constexpr u64 vpa_func_mask = 7;
enum VpaFunc : u64 {
	reg_vpa = 1,
	reg_dtl = 2,
	reg_slb = 3,
	dereg_vpa = 5,
	dereg_dtl = 6,
	dereg_slb = 7,
};
constexpr u64 H_SUCCESS = 0, H_PARAMETER = static_cast<u64>(-4LL),
	      H_RESOURCE = static_cast<u64>(-16LL);
// Areas start on a cache line (128 bytes on POWER9); the length is a big-endian halfword
// (VPA) or word (DTL, SLB shadow) at offset 4 of the area itself.
constexpr u64 cache_line = 128;
constexpr u64 lppaca_size = 640;   // struct lppaca, the least a VPA may be
constexpr u64 dtl_entry_size = 48; // struct dtl_entry
constexpr u64 reg_vpa_size = 8;	   // the header holding the length

Vcpu *vcpu_by_id(Vm *vm, u64 id)
{
	u32 n = load_acquire(&vm->nr_vcpus);
	for (u32 i = 0; i < n; i++) {
		Vcpu *v = vm_vcpu(vm, i);
		if (v && v->id == id)
			return v;
	}
	return nullptr;
}

// The length a guest wrote at the head of the area at @gpa; 0 when the area is not in
// guest memory. Like upstream, the area must lie within the host page holding its start.
u64 area_length(Vcpu *vcpu, u64 gpa, bool vpa)
{
	u8 head[reg_vpa_size];
	if (ppc_read_guest(vcpu, gpa, head, sizeof(head)))
		return 0;
	u64 len = vpa ? (u64(head[4]) << 8 | head[5])
		      : (u64(head[4]) << 24 | u64(head[5]) << 16 | u64(head[6]) << 8 | head[7]);
	u64 room = page_size - (gpa & (page_size - 1));
	return len > room || len < reg_vpa_size ? 0 : len;
}

} // namespace

u64 ppc_h_register_vpa(Vcpu *vcpu, u64 flags, u64 target, u64 gpa)
{
	Vm *vm = vcpu->vm;
	Vcpu *t = vcpu_by_id(vm, target);
	if (!t)
		return H_PARAMETER;
	u64 func = (flags >> vpa_func_shift) & vpa_func_mask;
	u64 len = 0;
	if (func == reg_vpa || func == reg_dtl || func == reg_slb) {
		if (!gpa || (gpa & (cache_line - 1)))
			return H_PARAMETER;
		len = area_length(vcpu, gpa, func == reg_vpa);
		if (!len)
			return H_PARAMETER;
	} else {
		gpa = 0;
	}
	PpcVpa &v = t->arch.vpa;
	SpinGuard guard(vm->arch.vpa_lock);
	switch (func) {
	case reg_vpa:
		if (len < lppaca_size)
			return H_PARAMETER;
		v.vpa = PpcVpaArea{ gpa, len };
		return H_SUCCESS;
	case reg_dtl:
		if (len < dtl_entry_size)
			return H_PARAMETER;
		if (!v.vpa.gpa)
			return H_RESOURCE;
		v.dtl = PpcVpaArea{ gpa, len - len % dtl_entry_size };
		return H_SUCCESS;
	case reg_slb:
		if (!v.vpa.gpa)
			return H_RESOURCE;
		v.slb = PpcVpaArea{ gpa, len };
		return H_SUCCESS;
	case dereg_vpa:
		if (v.dtl.gpa || v.slb.gpa)
			return H_RESOURCE;
		v.vpa = PpcVpaArea{};
		return H_SUCCESS;
	case dereg_dtl:
		v.dtl = PpcVpaArea{};
		return H_SUCCESS;
	case dereg_slb:
		v.slb = PpcVpaArea{};
		return H_SUCCESS;
	default:
		return H_PARAMETER;
	}
}

long ppc_vpa_get_reg(Vcpu *vcpu, u64 id, u64 val[2])
{
	const PpcVpa &v = vcpu->arch.vpa;
	SpinGuard guard(vcpu->vm->arch.vpa_lock);
	switch (id) {
	case KVM_REG_PPC_VPA_ADDR:
		val[0] = v.vpa.gpa;
		return 0;
	case KVM_REG_PPC_VPA_SLB:
		val[0] = v.slb.gpa;
		val[1] = v.slb.len;
		return 0;
	case KVM_REG_PPC_VPA_DTL:
		val[0] = v.dtl.gpa;
		val[1] = v.dtl.len;
		return 0;
	default:
		return -EINVAL;
	}
}

long ppc_vpa_set_reg(Vcpu *vcpu, u64 id, const u64 val[2])
{
	// Upstream's rules: addresses on a cache line; the SLB shadow and the DTL only with a
	// VPA; the VPA cleared only after them (the VMM restores the VPA first and clears it
	// last); the VPA's length is the lppaca's, the DTL's whole entries.
	PpcVpa &v = vcpu->arch.vpa;
	u64 addr = val[0];
	if (addr & (cache_line - 1))
		return -EINVAL;
	SpinGuard guard(vcpu->vm->arch.vpa_lock);
	switch (id) {
	case KVM_REG_PPC_VPA_ADDR:
		if (!addr && (v.slb.gpa || v.dtl.gpa))
			return -EINVAL;
		v.vpa = PpcVpaArea{ addr, addr ? lppaca_size : 0 };
		return 0;
	case KVM_REG_PPC_VPA_SLB:
		if (addr && !v.vpa.gpa)
			return -EINVAL;
		v.slb = PpcVpaArea{ addr, addr ? val[1] : 0 };
		return 0;
	case KVM_REG_PPC_VPA_DTL: {
		u64 len = val[1];
		if (addr && (len < dtl_entry_size || !v.vpa.gpa))
			return -EINVAL;
		v.dtl = PpcVpaArea{ addr, addr ? len - len % dtl_entry_size : 0 };
		return 0;
	}
	default:
		return -EINVAL;
	}
}

} // namespace kvmx
