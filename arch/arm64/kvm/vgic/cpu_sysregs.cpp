// SPDX-License-Identifier: GPL-2.0
// KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS: the GICv3 CPU interface system registers (ICC_*)
// of one vCPU as a VMM saves and restores them, mapped onto the ICH_VMCR_EL2 and
// ICH_AP<n>R<m>_EL2 values kept in its VgicCpuIf. Upstream's table, checks and errno
// (vgic-sys-reg-v3.c); the guest's own accesses run on the hardware.
#include "vgic.hpp"

namespace kvmx {

namespace {

// ICC_CTLR_EL1 fields.
constexpr u32 CTLR_CBPR = 1u << 0, CTLR_EOIMODE_SHIFT = 1, CTLR_PRI_BITS_SHIFT = 8;
constexpr u32 CTLR_ID_BITS_SHIFT = 11, CTLR_SEIS_SHIFT = 14, CTLR_A3V_SHIFT = 15;

struct Sysreg {
	u8 op0, op1, crn, crm, op2;
	int (*get)(VgicCpu *cpu, const Sysreg &r, u64 *val);
	int (*set)(VgicCpu *cpu, const Sysreg &r, u64 val);
};

int get_ctlr(VgicCpu *cpu, const Sysreg &, u64 *val)
{
	u32 vtr = cpu->vgic->hw.ich_vtr;
	VgicVmcr v = vgic_get_vmcr(cpu);
	u64 r = static_cast<u64>(cpu->num_pri_bits - 1) << CTLR_PRI_BITS_SHIFT;
	r |= static_cast<u64>(cpu->num_id_bits) << CTLR_ID_BITS_SHIFT;
	r |= static_cast<u64>((vtr >> ICH_VTR_SEIS_SHIFT) & 1) << CTLR_SEIS_SHIFT;
	r |= static_cast<u64>((vtr >> ICH_VTR_A3V_SHIFT) & 1) << CTLR_A3V_SHIFT;
	r |= v.cbpr ? CTLR_CBPR : 0;
	r |= static_cast<u64>(v.eoim) << CTLR_EOIMODE_SHIFT;
	*val = r;
	return 0;
}

// A restored ICC_CTLR_EL1 may narrow the priority and INTID widths, never widen them,
// and must agree on SEIS and A3V: a VM from a host with more cannot run here. The
// priority width is narrowed before the INTID width is checked, as upstream.
int set_ctlr(VgicCpu *cpu, const Sysreg &, u64 val)
{
	u32 vtr = cpu->vgic->hw.ich_vtr;
	u32 pri_bits = ((val >> CTLR_PRI_BITS_SHIFT) & 7) + 1;
	if (pri_bits > cpu->num_pri_bits)
		return -EINVAL;
	cpu->num_pri_bits = pri_bits;
	u32 id_bits = (val >> CTLR_ID_BITS_SHIFT) & 7;
	if (id_bits > cpu->num_id_bits)
		return -EINVAL;
	cpu->num_id_bits = id_bits;
	if (((val >> CTLR_SEIS_SHIFT) & 1) != ((vtr >> ICH_VTR_SEIS_SHIFT) & 1))
		return -EINVAL;
	if (((val >> CTLR_A3V_SHIFT) & 1) != ((vtr >> ICH_VTR_A3V_SHIFT) & 1))
		return -EINVAL;
	VgicVmcr v = vgic_get_vmcr(cpu);
	v.cbpr = val & CTLR_CBPR ? 1 : 0;
	v.eoim = (val >> CTLR_EOIMODE_SHIFT) & 1;
	vgic_set_vmcr(cpu, v);
	return 0;
}

int get_pmr(VgicCpu *cpu, const Sysreg &, u64 *val)
{
	*val = vgic_get_vmcr(cpu).pmr;
	return 0;
}

int set_pmr(VgicCpu *cpu, const Sysreg &, u64 val)
{
	VgicVmcr v = vgic_get_vmcr(cpu);
	v.pmr = val & 0xff;
	vgic_set_vmcr(cpu, v);
	return 0;
}

int get_bpr0(VgicCpu *cpu, const Sysreg &, u64 *val)
{
	*val = vgic_get_vmcr(cpu).bpr;
	return 0;
}

int set_bpr0(VgicCpu *cpu, const Sysreg &, u64 val)
{
	VgicVmcr v = vgic_get_vmcr(cpu);
	v.bpr = val & 7;
	vgic_set_vmcr(cpu, v);
	return 0;
}

// With ICC_CTLR_EL1.CBPR set, BPR0 controls both groups: BPR1 reads as BPR0 + 1
// (saturating at 7) and ignores writes.
int get_bpr1(VgicCpu *cpu, const Sysreg &, u64 *val)
{
	VgicVmcr v = vgic_get_vmcr(cpu);
	*val = v.cbpr ? (v.bpr + 1 < 7 ? v.bpr + 1 : 7) : v.abpr;
	return 0;
}

int set_bpr1(VgicCpu *cpu, const Sysreg &, u64 val)
{
	VgicVmcr v = vgic_get_vmcr(cpu);
	if (!v.cbpr) {
		v.abpr = val & 7;
		vgic_set_vmcr(cpu, v);
	}
	return 0;
}

int get_grpen0(VgicCpu *cpu, const Sysreg &, u64 *val)
{
	*val = vgic_get_vmcr(cpu).grpen0;
	return 0;
}

int set_grpen0(VgicCpu *cpu, const Sysreg &, u64 val)
{
	VgicVmcr v = vgic_get_vmcr(cpu);
	v.grpen0 = val & 1;
	vgic_set_vmcr(cpu, v);
	return 0;
}

int get_grpen1(VgicCpu *cpu, const Sysreg &, u64 *val)
{
	*val = vgic_get_vmcr(cpu).grpen1;
	return 0;
}

int set_grpen1(VgicCpu *cpu, const Sysreg &, u64 val)
{
	VgicVmcr v = vgic_get_vmcr(cpu);
	v.grpen1 = val & 1;
	vgic_set_vmcr(cpu, v);
	return 0;
}

// Active-priority registers: as many as the priority bits need (5 bits: AP<n>R0 only,
// 6: R0-R1, 7: R0-R3); the rest are -EINVAL. Stored as written.
u32 max_apr_idx(const VgicCpu *cpu)
{
	return cpu->num_pri_bits == 7 ? 3 : cpu->num_pri_bits == 6 ? 1 : 0;
}

u32 *apr(VgicCpu *cpu, const Sysreg &r)
{
	u32 idx = r.op2 & 3;
	if (idx > max_apr_idx(cpu))
		return nullptr;
	return r.crm == 8 ? &cpu->cpuif.ap0r[idx] : &cpu->cpuif.ap1r[idx];
}

int get_apr(VgicCpu *cpu, const Sysreg &r, u64 *val)
{
	u32 *p = apr(cpu, r);
	if (!p)
		return -EINVAL;
	*val = *p;
	return 0;
}

int set_apr(VgicCpu *cpu, const Sysreg &r, u64 val)
{
	u32 *p = apr(cpu, r);
	if (!p)
		return -EINVAL;
	*p = static_cast<u32>(val);
	return 0;
}

int get_sre(VgicCpu *cpu, const Sysreg &, u64 *val)
{
	*val = cpu->cpuif.sre;
	return 0;
}

// ICC_SRE_EL1 is fixed (SRE, DFB, DIB set): a restore must keep SRE, the rest is ignored.
int set_sre(VgicCpu *, const Sysreg &, u64 val)
{
	return val & ICC_SRE_SRE ? 0 : -EINVAL;
}

constexpr Sysreg sysregs[] = {
	{ 3, 0, 4, 6, 0, get_pmr, set_pmr },	     // ICC_PMR_EL1
	{ 3, 0, 12, 8, 3, get_bpr0, set_bpr0 },	     // ICC_BPR0_EL1
	{ 3, 0, 12, 8, 4, get_apr, set_apr },	     // ICC_AP0R0_EL1
	{ 3, 0, 12, 8, 5, get_apr, set_apr },	     // ICC_AP0R1_EL1
	{ 3, 0, 12, 8, 6, get_apr, set_apr },	     // ICC_AP0R2_EL1
	{ 3, 0, 12, 8, 7, get_apr, set_apr },	     // ICC_AP0R3_EL1
	{ 3, 0, 12, 9, 0, get_apr, set_apr },	     // ICC_AP1R0_EL1
	{ 3, 0, 12, 9, 1, get_apr, set_apr },	     // ICC_AP1R1_EL1
	{ 3, 0, 12, 9, 2, get_apr, set_apr },	     // ICC_AP1R2_EL1
	{ 3, 0, 12, 9, 3, get_apr, set_apr },	     // ICC_AP1R3_EL1
	{ 3, 0, 12, 12, 3, get_bpr1, set_bpr1 },     // ICC_BPR1_EL1
	{ 3, 0, 12, 12, 4, get_ctlr, set_ctlr },     // ICC_CTLR_EL1
	{ 3, 0, 12, 12, 5, get_sre, set_sre },	     // ICC_SRE_EL1
	{ 3, 0, 12, 12, 6, get_grpen0, set_grpen0 }, // ICC_IGRPEN0_EL1
	{ 3, 0, 12, 12, 7, get_grpen1, set_grpen1 }, // ICC_IGRPEN1_EL1
};

// The attr's instr field: Op0 [15:14], Op1 [13:11], CRn [10:7], CRm [6:3], Op2 [2:0]
// (the rest of the low word is ignored, as upstream).
const Sysreg *find(u64 attr)
{
	u8 op0 = (attr >> 14) & 3, op1 = (attr >> 11) & 7, crn = (attr >> 7) & 0xf;
	u8 crm = (attr >> 3) & 0xf, op2 = attr & 7;
	for (const Sysreg &r : sysregs)
		if (r.op0 == op0 && r.op1 == op1 && r.crn == crn && r.crm == crm && r.op2 == op2)
			return &r;
	return nullptr;
}

} // namespace

bool vgic_cpu_sysreg_exists(u64 attr)
{
	return find(attr) != nullptr;
}

int vgic_cpu_sysreg_get(VgicCpu *cpu, u64 attr, u64 *val)
{
	const Sysreg *r = find(attr);
	if (!r)
		return -ENOENT;
	VgicLocked l(cpu->vgic);
	return r->get(cpu, *r, val);
}

int vgic_cpu_sysreg_set(VgicCpu *cpu, u64 attr, u64 val)
{
	const Sysreg *r = find(attr);
	if (!r)
		return -ENOENT;
	VgicLocked l(cpu->vgic);
	return r->set(cpu, *r, val);
}

} // namespace kvmx
