// SPDX-License-Identifier: GPL-2.0
// What a VMM learns about the POWER9 it runs on before it builds a guest: the hash MMU's
// segment and page-size facts (KVM_PPC_GET_SMMU_INFO), the radix MMU's tree geometries and
// page sizes (KVM_PPC_GET_RMMU_INFO) and the CPU's speculation characteristics
// (KVM_PPC_GET_CPU_CHAR). Read-only answers; nothing here changes a VM.
#include "ppc.hpp"
#include "registry.hpp"
#include <linux/kvm.h>

namespace kvmx {

namespace {

// Hash MMU facts of POWER9 (Power ISA 3.0B Book III 5.7: 1 TB segments, a 32-entry SLB,
// 32 storage keys for data and instructions, base page sizes 4 KB, 64 KB and 16 MB, the
// first two also holding 16 MB pages (MPSS)). kvmx runs radix guests only, which it says
// with KVM_PPC_NO_HASH; VMMs still compare these with their CPU model (QEMU refuses to
// start when they differ), so they describe the hardware as it is.
struct SegPageSize {
	u32 shift, slb_enc;
	u32 enc_shift[2], pte_enc[2];
};
constexpr u32 SLB_VSID_L = 0x100, SLB_VSID_LP_01 = 0x10;
constexpr SegPageSize hash_page_sizes[] = {
	{ 12, 0, { 12, 24 }, { 0x0, 0x38 } },
	{ 16, SLB_VSID_L | SLB_VSID_LP_01, { 16, 24 }, { 0x1, 0x8 } },
	{ 24, SLB_VSID_L, { 24, 0 }, { 0x0, 0 } },
};

// Radix tree geometries a POWER9 walks for the guest's own (process-scoped) tables, level
// bits from the leaf up: a 52-bit space with 4 KB pages (9, 9, 9, 13) or 64 KB pages
// (5, 9, 9, 13), Power ISA 3.0B 6.7.10.
struct RadixGeometry {
	u8 page_shift;
	u8 level_bits[4];
};
constexpr RadixGeometry radix_geometries[] = {
	{ 12, { 9, 9, 9, 13 } },
	{ 16, { 5, 9, 9, 13 } },
};

} // namespace

long ppc_get_smmu_info(unsigned long arg)
{
	kvm_ppc_smmu_info info{};
	info.flags = KVM_PPC_PAGE_SIZES_REAL | KVM_PPC_1T_SEGMENTS | KVM_PPC_NO_HASH;
	info.slb_size = 32;
	info.data_keys = 32;
	info.instr_keys = 32;
	u32 i = 0;
	for (const SegPageSize &p : hash_page_sizes) {
		kvm_ppc_one_seg_page_size &s = info.sps[i++];
		s.page_shift = p.shift;
		s.slb_enc = p.slb_enc;
		for (u32 j = 0; j < 2 && p.enc_shift[j]; j++) {
			s.enc[j].page_shift = p.enc_shift[j];
			s.enc[j].pte_enc = p.pte_enc[j];
		}
	}
	return kvmx_host_copy_to_user(arg, &info, sizeof(info)) ? -EFAULT : 0;
}

long ppc_get_rmmu_info(unsigned long arg)
{
	kvm_ppc_rmmu_info info{};
	u32 i = 0;
	for (const RadixGeometry &g : radix_geometries) {
		info.geometries[i].page_shift = g.page_shift;
		for (u32 l = 0; l < 4; l++)
			info.geometries[i].level_bits[l] = g.level_bits[l];
		i++;
	}
	// The page sizes come from the firmware (the kernel's table of them).
	const kvmx_host_info &host = registry().host;
	for (i = 0; i < 8; i++)
		info.ap_encodings[i] = host.ppc_radix_ap[i];
	return kvmx_host_copy_to_user(arg, &info, sizeof(info)) ? -EFAULT : 0;
}

long ppc_get_cpu_char(unsigned long arg)
{
	const kvmx_host_info &host = registry().host;
	kvm_ppc_cpu_char cc{};
	cc.character = host.ppc_cpu_char[0];
	cc.behaviour = host.ppc_cpu_char[1];
	cc.character_mask = host.ppc_cpu_char[2];
	cc.behaviour_mask = host.ppc_cpu_char[3];
	return kvmx_host_copy_to_user(arg, &cc, sizeof(cc)) ? -EFAULT : 0;
}

} // namespace kvmx
