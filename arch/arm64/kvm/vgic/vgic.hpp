// SPDX-License-Identifier: GPL-2.0
// The in-kernel GICv3 (Generic Interrupt Controller, version 3) model of one VM: the state
// of every SGI (Software Generated Interrupt), PPI (Private Peripheral Interrupt) and SPI
// (Shared Peripheral Interrupt), the distributor (GICD) and redistributor (GICR) frames,
// the list-register (LR) model and the KVM_DEV_ARM_VGIC_V3 attributes. Pure logic over
// the host interface: the hardware is reached only through VgicCpuIf (cpuif.hpp), which
// the world switch loads and saves, and the hooks in VgicOps.
#pragma once

#include "base.hpp"
#include "cpuif.hpp"
#include <linux/kvm.h>

namespace kvmx {

constexpr u32 vgic_nr_sgis = 16, vgic_nr_private = 32;
constexpr u32 vgic_max_spi = 1019;     // INTIDs 1020-1023 are special
constexpr u32 vgic_max_vcpus = 512;    // upstream's VGIC_V3_MAX_CPUS
constexpr u32 vgic_max_regions = 256;  // region indices are 8 bits wide in upstream's ABI
constexpr u32 vgic_default_irqs = 256; // INTIDs when the VMM never set NR_IRQS
constexpr u32 vgic_pri_mask = 0xf8;    // 5 priority bits, as upstream's VGIC_PRI_BITS
constexpr u64 vgic_addr_undef = ~0ULL;
constexpr u64 vgic_dist_size = 0x10000;	  // KVM_VGIC_V3_DIST_SIZE: one 64 KB frame
constexpr u64 vgic_redist_size = 0x20000; // KVM_VGIC_V3_REDIST_SIZE: RD_base + SGI_base
constexpr u64 vgic_frame_align = 0x10000;
// GICD_IIDR.Revision values upstream defines: 2 (guest-configurable groups), 3
// (GICR_CTLR.{IR,CES}). A VMM may restore either; a new vGIC reports the latest.
constexpr u32 vgic_imp_rev_2 = 2, vgic_imp_rev_3 = 3;

struct Vgic;
struct VgicCpu;
struct VgicIts;

// LPIs (Locality-specific Peripheral Interrupts): INTIDs from 8192, message-based, made
// by an ITS (Interrupt Translation Service, its.hpp). 16 ID bits, as upstream's
// INTERRUPT_ID_BITS_ITS: LPIs 8192-65535.
constexpr u32 vgic_min_lpi = 8192;
constexpr u32 vgic_lpi_id_bits = 16;

struct VgicIrq {
	VgicIrq *ap_next, *ap_prev; // links on the ap ("active or pending") list of `on`
	VgicCpu *on;		    // the vCPU whose ap list holds it, or nullptr
	VgicCpu *target;	    // where it goes: its own vCPU (private), IROUTER's (SPI)
	const void *owner;	    // set: only this in-kernel source may drive the line
	u32 intid;
	u32 mpidr;   // SPI: GICD_IROUTER Aff2.Aff1.Aff0
	u32 hwintid; // hw: the physical INTID the LR names
	u8 priority; // vgic_pri_mask bits kept
	bool enabled;
	bool pending_latch; // edge, or ISPENDR written: cleared by activation or ICPENDR
	bool line_level;    // level: the input line as the source drives it
	bool active;
	bool group; // 1: Group 1 (the GICv3 default)
	bool edge;  // GICD_ICFGR: edge-triggered
	bool hw;    // mapped to a physical interrupt (ICH_LR_HW)
	// LPIs only: the next on Vgic::lpis; the ITEs (ITS translation entries) naming it.
	VgicIrq *lpi_next;
	u32 lpi_refs;
};

// A GICR frame pair region (KVM_VGIC_V3_ADDR_TYPE_REDIST{,_REGION}).
struct VgicRedistRegion {
	u64 base;
	u32 count;	// redistributors; 0 for the legacy region, sized by the vCPU count
	u32 free_index; // next slot to hand to a vCPU
	u32 index;
};

struct VgicCpu {
	Vgic *vgic;
	u32 idx;	  // vCPU creation index
	u32 id;		  // vCPU id (GICR_TYPER.Processor_Number)
	const u64 *mpidr; // the vCPU's MPIDR_EL1, read when needed (the VMM may change it)
	VgicIrq private_irqs[vgic_nr_private];
	VgicIrq *ap_head, *ap_tail;
	VgicCpuIf cpuif;
	int rdreg;	  // index into Vgic::regions, -1 before it has a frame
	u32 rdreg_index;  // slot in that region
	u64 rd_base;	  // guest physical address of its GICR frames, or vgic_addr_undef
	u64 pendbaser;	  // GICR_PENDBASER
	u32 num_pri_bits; // ICC_CTLR_EL1.PRIbits + 1, as the VMM may narrow it
	u32 num_id_bits;  // ICC_CTLR_EL1.IDbits
	// GICR_CTLR.EnableLPIs; and, just set, its pending table still to read (lpi.cpp).
	bool lpis_enabled, lpi_sync_pending;
};

// Whether nothing is queued for @cpu, read without the lock: the vCPU's own thread looks
// first on its hot paths (flush, sync, its wake-up condition) and takes the lock only when
// there is something. An interrupt queued after the look is not lost: queuing it kicks the
// vCPU (an entry then aborts, a halt re-checks). Writers store the head under the lock.
inline bool vgic_ap_list_empty(const VgicCpu *cpu)
{
	return load_acquire(&cpu->ap_head) == nullptr;
}

// Calls out of the model. kick runs after the vGIC lock is dropped, with interrupts as
// the lock's taker had them (possibly off): it must not sleep or call back into the vGIC.
// lock_all_vcpus serialises against every vCPU ioctl (false: one is running, -EBUSY), as
// upstream's lock_all_vcpus. input_level samples a mapped (hw) level interrupt's physical
// line. Any of them may be null.
struct VgicOps {
	void *ctx;
	void (*kick)(void *ctx, u32 vcpu_idx);
	bool (*lock_all_vcpus)(void *ctx);
	void (*unlock_all_vcpus)(void *ctx);
	bool (*input_level)(void *ctx, u32 vcpu_idx, u32 intid);
	// Guest memory (the ITS command queue, LPI property and pending tables): 0 or
	// -errno (-EFAULT outside the memslots). May sleep: never called with the vGIC
	// lock held.
	int (*read_guest)(void *ctx, u64 gpa, void *buf, u32 len) = nullptr;
	int (*write_guest)(void *ctx, u64 gpa, const void *buf, u32 len) = nullptr;
};

struct VgicConfig {
	VgicHwInfo hw;
	u32 ipa_bits; // the VM's IPA size: frames must lie below 2^ipa_bits
	VgicOps ops;
};

struct Vgic {
	kvmx_spinlock *lock;	 // interrupt state; taken with interrupts off (VgicLocked)
	kvmx_mutex *config_lock; // addresses, regions, NR_IRQS, INIT
	VgicHwInfo hw;
	VgicOps ops;
	u32 ipa_bits;
	bool initialized; // KVM_DEV_ARM_VGIC_CTRL_INIT done
	bool ready;	  // vgic_map_resources passed: guests may run, frames decode
	bool enabled;	  // GICD_CTLR.EnableGrp1A
	u32 implementation_rev;
	u32 nr_spis; // 0 until NR_IRQS or INIT sets it
	VgicIrq *spis;
	u64 dist_base;
	u64 propbaser; // GICR_PROPBASER (one for the VM, as upstream)
	u32 nr_regions;
	VgicRedistRegion regions[vgic_max_regions];
	u32 nr_cpus;
	VgicCpu *cpus[vgic_max_vcpus];
	// The ITS devices (freed with the vGIC; any makes GICD_TYPER advertise LPIs) and the
	// LPIs their translation entries name.
	bool has_its;
	VgicIts *its_list;
	VgicIrq *lpis;
	u32 nr_lpis;
	// Guest writes of IS/ICACTIVER in progress (mmio.cpp): while non-zero no vCPU loads
	// list registers (vgic_flush_lr_state). Under the lock.
	u32 active_halts;
};

// Holds the vGIC's interrupt-state lock with this CPU's interrupts masked: interrupts
// are injected from any context (irqfds fire in atomic context).
class VgicLocked {
public:
	explicit VgicLocked(Vgic *vgic) : vgic_(vgic)
	{
		flags_ = kvmx_host_irq_save();
		kvmx_host_spin_lock(vgic_->lock);
	}
	~VgicLocked()
	{
		const u32 nr_cpus = kick_all_ ? vgic_->nr_cpus : 0;
		kvmx_host_spin_unlock(vgic_->lock);
		kvmx_host_irq_restore(flags_);
		if (nr_kicks_ || nr_cpus)
			run_kicks(nr_cpus);
	}
	VgicLocked(const VgicLocked &) = delete;
	VgicLocked &operator=(const VgicLocked &) = delete;
	Vgic *vgic() const { return vgic_; }
	// Kick vCPU @idx once the lock is dropped (vgic_kick), as upstream kicks after
	// vgic_queue_irq_unlock: a woken vCPU's first step takes this lock, and a waker that
	// still held it (waking a thread is slow) would keep it spinning.
	void defer_kick(u32 idx) const;

private:
	void run_kicks(u32 nr_cpus);

	static constexpr u32 max_deferred_kicks = 8; // more: every vCPU is kicked
	Vgic *vgic_;
	unsigned long flags_;
	mutable u32 nr_kicks_ = 0;
	mutable bool kick_all_ = false;
	mutable u32 kicks_[max_deferred_kicks];
};

// --- Lifetime and configuration (init.cpp) ---

// KVM_CREATE_DEVICE(KVM_DEV_TYPE_ARM_VGIC_V3) for a VM with @nr_vcpus vCPUs, none of
// which has run: -E2BIG above vgic_max_vcpus, -EBUSY if @any_ran, -ENOMEM. The caller
// refuses a second irqchip (-EEXIST) and then adds the existing vCPUs.
Result<Vgic *> vgic_create(const VgicConfig &cfg, u32 nr_vcpus, bool any_ran);
void vgic_destroy(Vgic *vgic);
// A vCPU joins (existing ones at creation, new ones when created): its SGIs enabled and
// edge, PPIs level, and a redistributor frame if a region has room. -EBUSY after INIT
// (upstream refuses new vCPUs then), -EINVAL if the frame it gets overlaps, -ENOMEM.
Status vgic_vcpu_add(Vgic *vgic, u32 idx, u32 id, const u64 *mpidr);
// KVM_DEV_ARM_VGIC_CTRL_INIT (config_lock held): size the SPIs, enable the CPU
// interfaces. Idempotent. -ENOMEM.
Status vgic_init_locked(Vgic *vgic);
// Before the first guest run: every vCPU has a GICR frame (-ENXIO), the distributor is
// placed (-ENXIO), no frame overlaps or leaves the IPA space (-EINVAL), INIT done (-EBUSY).
Status vgic_map_resources(Vgic *vgic);
// KVM_DEV_ARM_VGIC_GRP_ADDR (config_lock held) and GICR_TYPER helpers: add a redistributor
// region (count 0: the legacy one) and place the vCPUs still without a frame; upstream's
// alignment, range and "already set" check; regions by index; GICR_TYPER.Last.
Status vgic_set_redist_base(Vgic *vgic, u32 index, u64 base, u32 count);
Status vgic_check_iorange(const Vgic *vgic, u64 cur, u64 addr, u64 align, u64 size);
VgicRedistRegion *vgic_region_by_index(Vgic *vgic, u32 index);
bool vgic_rdist_is_last(const VgicCpu *cpu);
VgicCpu *vgic_cpu_by_mpidr(Vgic *vgic, u64 mpidr);
u32 vgic_nr_irqs(const Vgic *vgic);

// --- Interrupt state (irq.cpp) ---

VgicIrq *vgic_get_irq(const VgicLocked &l, VgicCpu *cpu, u32 intid);
// Edge: a rising edge latches pending. Level: the line follows @level. @owner must match
// the interrupt's owner (nullptr for userspace and irqfds). -EINVAL (no such vCPU or
// interrupt), -EBUSY before INIT; 0 otherwise, also when the call changes nothing.
int vgic_inject_irq(Vgic *vgic, u32 cpu_idx, u32 intid, bool level, const void *owner);
// An in-kernel source (the timer) claims PPI or SPI @intid (@cpu's, for a PPI). -EAGAIN
// before INIT, -EINVAL for an SGI or an INTID that does not exist, -EEXIST if another
// source owns it.
int vgic_set_owner(Vgic *vgic, VgicCpu *cpu, u32 intid, const void *owner);
// Map private @intid of @cpu to physical @hwintid (ICH_LR_HW), or unmap it.
int vgic_map_phys_irq(Vgic *vgic, VgicCpu *cpu, u32 intid, u32 hwintid);
int vgic_unmap_phys_irq(Vgic *vgic, VgicCpu *cpu, u32 intid);
// KVM_IRQ_LINE for types KVM_ARM_IRQ_TYPE_PPI and _SPI (the field as userspace passes it).
int vgic_irq_line(Vgic *vgic, u32 irq, bool level);
// An irqchip route (KVM_SET_GSI_ROUTING, irqfds): pin @pin is SPI 32 + @pin. -EINVAL for
// an SPI that does not exist, else as vgic_inject_irq.
int vgic_set_spi(Vgic *vgic, u32 pin, bool level);
// Where the interrupt should be queued now, or nullptr (upstream's target oracle).
VgicCpu *vgic_target_oracle(const VgicLocked &l, const VgicIrq *irq);
bool vgic_irq_is_pending(const VgicIrq *irq);
// Put the interrupt on its target's ap list if it needs to be there; kick the target.
void vgic_queue_irq(const VgicLocked &l, VgicIrq *irq);
// WFI wake-up: a pending, enabled, inactive interrupt above the vCPU's priority mask.
bool vgic_vcpu_pending_irq(Vgic *vgic, VgicCpu *cpu);
// The interrupt the vCPU's CPU interface would signal next: the highest priority (lowest
// value) pending, enabled, inactive one on its ap list whose group is enabled (ICH_VMCR
// ENG0/ENG1) and whose priority passes the PMR; ties go to the lowest INTID. nullptr if none.
VgicIrq *vgic_next_irq(const VgicLocked &l, VgicCpu *cpu);
// A trapped write of @reg to ICC_SGI1R_EL1 (@allow_group1) or ICC_SGI0R/ASGI1R_EL1.
void vgic_dispatch_sgi(Vgic *vgic, VgicCpu *src, u64 reg, bool allow_group1);
// Kick every vCPU with something to take (after GICD_CTLR enables the distributor).
void vgic_kick_vcpus(const VgicLocked &l);
// Queue every interrupt that became deliverable while the distributor was disabled.
// (Upstream only kicks vCPUs whose ap lists already hold something, so an interrupt made
// pending while it was disabled waits for the next injection; the architecture forwards it.)
void vgic_queue_all(const VgicLocked &l);
void vgic_kick(const VgicLocked &l, VgicCpu *cpu);
// Take @irq off the ap list that holds it, if any (vGIC lock held).
void vgic_ap_list_del(VgicIrq *irq);
// VgicOps::read_guest and write_guest, -EFAULT where the bridge gives none.
int vgic_read_guest(Vgic *vgic, u64 gpa, void *buf, u32 len);
int vgic_write_guest(Vgic *vgic, u64 gpa, const void *buf, u32 len);

// --- List registers (lr.cpp) ---

// What a fold found that the caller must pass on once it holds no vGIC lock.
struct VgicSyncResult {
	u32 nr_acked;
	u32 acked_spi_pins[vgic_max_lrs]; // level SPIs the guest EOIed (irqfd resample)
};
// Before entry, interrupts masked: fill cpu->cpuif from the ap list, at most
// VgicHwInfo::nr_lr interrupts, one per LR (ICH_HCR_EL2.UIE if more are waiting). false:
// another vCPU is changing active states (Vgic::active_halts), no LR was filled, and the
// vCPU must not enter with interrupts to present; it retries.
bool vgic_flush_lr_state(VgicCpu *cpu);
// After exit, once the world switch saved the LRs: fold them back into the interrupt
// state, drop or migrate what no longer belongs here, report EOIed level SPIs.
void vgic_sync_lr_state(VgicCpu *cpu, VgicSyncResult *out);
// ICH_LR<n>_EL2 for @irq (lock held); the edge pending latch moves into the LR.
u64 vgic_populate_lr(const VgicLocked &l, VgicIrq *irq);

// The guest's CPU-interface controls in ICH_VMCR_EL2, split out as upstream's vgic_vmcr.
struct VgicVmcr {
	u32 grpen0, grpen1, ackctl, fiqen, cbpr, eoim, abpr, bpr, pmr;
};
VgicVmcr vgic_get_vmcr(const VgicCpu *cpu);
void vgic_set_vmcr(VgicCpu *cpu, const VgicVmcr &v);
// The state INIT gives every CPU interface (upstream's vgic_v3_enable).
void vgic_cpuif_enable(VgicCpu *cpu);

// --- Register frames (mmio.cpp, mmio_v3.cpp) ---

// A guest access of @len bytes at @ipa. false if no vGIC frame claims it (the caller goes
// on to ioeventfds and userspace); true if the vGIC completed it, *val in or out. Unused
// or reserved registers, bad widths and misalignment read as zero and ignore writes.
bool vgic_mmio_access(Vgic *vgic, VgicCpu *cpu, u64 ipa, u32 len, bool is_write, u64 *val);
// The frames alone, @offset from their base (distributor: 64 KB; redistributor: 128 KB).
u64 vgic_dist_read(VgicCpu *cpu, u64 offset, u32 len);
void vgic_dist_write(VgicCpu *cpu, u64 offset, u32 len, u64 val);
u64 vgic_redist_read(VgicCpu *rd, u64 offset, u32 len);
void vgic_redist_write(VgicCpu *rd, u64 offset, u32 len, u64 val);
// KVM_DEV_ARM_VGIC_GRP_{DIST,REDIST}_REGS, 32-bit: userspace's view (ISPENDR the latch,
// ICPENDR RAZ/WI, no side effects on vCPUs). Unknown offsets read 0 and ignore writes.
int vgic_dist_uaccess(VgicCpu *cpu, bool is_write, u32 offset, u32 *val);
int vgic_redist_uaccess(VgicCpu *rd, bool is_write, u32 offset, u32 *val);
// Whether a 32-bit access at @offset names a register (KVM_HAS_DEVICE_ATTR).
bool vgic_dist_has_reg(const Vgic *vgic, u32 offset);
bool vgic_redist_has_reg(const Vgic *vgic, u32 offset);
// GRP_LEVEL_INFO: the line levels of INTIDs [intid, intid + 32) (SGIs, absent ones RAZ/WI).
u32 vgic_read_line_level(VgicCpu *cpu, u32 intid);
void vgic_write_line_level(VgicCpu *cpu, u32 intid, u32 val);

// --- LPIs (lpi.cpp) ---

// The LPI with @intid, or nullptr.
VgicIrq *vgic_find_lpi(const VgicLocked &l, u32 intid);
// The LPIs GICR_PROPBASER.IDbits allows: INTIDs below this (at most 2^16).
u32 vgic_max_lpis(u64 propbaser);
// Guest-memory reads, no lock held: LPI @intid's configuration byte in the property table
// (priority [7:2], enable [0]) and its bit in the pending table at @pendbaser.
int vgic_lpi_read_prop(Vgic *vgic, u32 intid, u8 *prop);
int vgic_lpi_read_pending(Vgic *vgic, u64 pendbaser, u32 intid, bool *pending);
// Apply a configuration byte read before (an INV, INVALL, a new mapping); queue.
void vgic_lpi_apply_prop(const VgicLocked &l, VgicIrq *irq, u8 prop);
// Take a reference on LPI @intid: the existing one, else @fresh (zeroed, allocated by the
// caller before it took the lock) made into it. Returns the LPI; @fresh is consumed only
// if the result is @fresh.
VgicIrq *vgic_lpi_get(const VgicLocked &l, u32 intid, VgicIrq *fresh);
// Drop a reference; the last one unlinks the LPI from its ap list and frees it.
void vgic_lpi_put(const VgicLocked &l, VgicIrq *irq);
// EnableLPIs set on @cpu (no lock held): its LPIs' pending bits from its pending table.
void vgic_lpi_sync_pending_table(VgicCpu *cpu);
// EnableLPIs cleared: @cpu's LPIs lose their pending state and leave its ap list.
void vgic_lpi_flush_pending(const VgicLocked &l, VgicCpu *cpu);
// Re-read the configuration of every LPI targeting @cpu (INVALL), no lock held.
void vgic_lpi_invall(VgicCpu *cpu);
// Re-read the configuration of LPI @intid, whatever its target (GICR_INVLPIR written on
// a redistributor with EnableLPIs), no lock held; nothing for an INTID that is no LPI.
void vgic_lpi_inv(Vgic *vgic, u32 intid);
void vgic_lpi_queue_all(const VgicLocked &l);
void vgic_lpi_free_all(Vgic *vgic);
// KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES: every LPI's pending state into its target's
// pending table (no lock held). 0, -ENOMEM or the guest-memory error.
int vgic_lpi_save_pending(Vgic *vgic);
// Frees every ITS of the vGIC (its_regs.cpp); vgic_destroy calls it.
void vgic_its_destroy_all(Vgic *vgic);

// --- KVM_DEV_ARM_VGIC_V3 attributes (device.cpp, cpu_sysregs.cpp) ---

int vgic_set_attr(Vgic *vgic, const kvm_device_attr &attr);
int vgic_get_attr(Vgic *vgic, const kvm_device_attr &attr);
int vgic_has_attr(Vgic *vgic, const kvm_device_attr &attr);
// GRP_CPU_SYSREGS: @attr's instr field names an ICC_* register; *val in or out.
// -ENOENT for an encoding that is not one of them.
int vgic_cpu_sysreg_get(VgicCpu *cpu, u64 attr, u64 *val);
int vgic_cpu_sysreg_set(VgicCpu *cpu, u64 attr, u64 val);
bool vgic_cpu_sysreg_exists(u64 attr);

} // namespace kvmx
