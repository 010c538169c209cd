// SPDX-License-Identifier: GPL-2.0
// The ITS (Interrupt Translation Service) of the in-kernel GICv3: one KVM_DEV_TYPE_ARM_
// VGIC_ITS device. It turns an MSI (Message Signalled Interrupt: a device id and an event
// id) into an LPI on a redistributor through its DTEs (device table entries), the ITT
// (interrupt translation table) entries of each device (ITEs) and its CTEs (collection
// table entries). The translation state lives in kernel memory, as upstream keeps it; the
// guest's tables are read for id checks, and written and read back only by userspace's
// KVM_DEV_ARM_ITS_SAVE_TABLES and RESTORE_TABLES (its_tables.cpp, upstream's ABI rev 0).
#pragma once

#include "vgic.hpp"

namespace kvmx {

constexpr u64 vgic_its_size = 0x20000; // KVM_VGIC_V3_ITS_SIZE: control and translation pages
constexpr u32 its_dev_bits = 16;       // GITS_TYPER.Devbits + 1, as upstream's VITS_TYPER_DEVBITS
constexpr u32 its_event_bits = 16;     // GITS_TYPER.ID_bits + 1 (VITS_TYPER_IDBITS)
constexpr u32 its_max_ites = 65536;    // per ITS: bounds the kernel memory a guest can pin
constexpr u32 its_coll_unmapped = ~0u;
// GITS_BASER<n> as its.cpp and its_tables.cpp read it: Valid [63], Indirect [62], the
// table's address [47:16] with 64 KB pages (the only size offered), Size [7:0] (pages -
// 1); a level-1 entry of an indirect table: Valid [63], the level-2 page [51:16].
constexpr u64 its_baser_valid = 1ULL << 63, its_baser_indirect = 1ULL << 62;
constexpr u64 its_baser_addr_mask = 0x0000ffffffff0000ULL;
constexpr u64 its_l1e_addr_mask = 0x000fffffffff0000ULL;
constexpr u64 its_page = 0x10000;

struct ItsCollection {
	ItsCollection *next;
	u32 id;
	u32 target; // vCPU index (GITS_TYPER.PTA = 0), or its_coll_unmapped
};

struct ItsIte {
	ItsIte *next;
	u32 event_id;
	ItsCollection *coll; // may be nullptr (its collection was unmapped)
	VgicIrq *irq;	     // holds a reference (VgicIrq::lpi_refs)
};

struct ItsDevice {
	ItsDevice *next;
	u32 id;
	u32 num_eventid_bits; // MAPD Size + 1
	u64 itt_addr;
	ItsIte *ites;
};

// Locking: cmd_lock (a mutex) serialises register writes, command processing and the
// attributes; the lists also change only under the vGIC lock, so MSI translation (any
// context) needs just that one.
struct VgicIts {
	VgicIts *next; // on Vgic::its_list
	Vgic *vgic;
	kvmx_mutex *cmd_lock;
	u64 base; // guest physical address of the frames, or vgic_addr_undef
	bool enabled;
	u32 abi_rev;
	u64 cbaser, creadr, cwriter;
	u64 baser_device, baser_coll;
	ItsDevice *devices;
	ItsCollection *collections;
	u32 nr_ites;
};

// KVM_CREATE_DEVICE(KVM_DEV_TYPE_ARM_VGIC_ITS) on a VM with a vGIC: the ITS is added to
// the vGIC (GICD_TYPER.LPIS from now on) and freed with it. -ENOMEM.
Result<VgicIts *> vgic_its_create(Vgic *vgic);

// KVM_DEV_ARM_VGIC_GRP_ADDR, _CTRL, _ITS_REGS (Documentation/virt/kvm/devices/
// arm-vgic-its.rst), upstream's errno.
int vgic_its_set_attr(VgicIts *its, const kvm_device_attr &attr);
int vgic_its_get_attr(VgicIts *its, const kvm_device_attr &attr);
int vgic_its_has_attr(VgicIts *its, const kvm_device_attr &attr);

// A guest access to an ITS frame: false if no ITS claims @ipa. Process context (a write
// of CWRITER runs the command queue, reading guest memory).
bool vgic_its_mmio_access(Vgic *vgic, u64 ipa, u32 len, bool is_write, u64 *val);
// The frame registers, @offset from the ITS base.
u64 vgic_its_read(VgicIts *its, u64 offset, u32 len);
void vgic_its_write(VgicIts *its, u64 offset, u32 len, u64 val);

// KVM_SIGNAL_MSI and MSI routes: the ITS whose frame holds the doorbell address, then
// device id and event id (the data). 1 delivered, 0 the guest blocked it (unmapped),
// -EINVAL (no devid, no ITS at the address), -ENODEV (no ITS), -EBUSY (ITS or the
// target's LPIs disabled). Any context: takes only the vGIC lock.
int vgic_its_inject_msi(Vgic *vgic, u64 address, u32 data, u32 devid, u32 flags);

// INT: the translation of (@devid, @eventid) made pending. 0, an E_ITS_* code (> 0), or
// -EBUSY as above. Exposed for the command processor and the tests.
int vgic_its_trigger(VgicIts *its, u32 devid, u32 eventid);

// Internal to its*.cpp: the command queue after a CWRITER or GITS_CTLR write (cmd_lock
// held), the reset of CTRL_RESET and of an invalidated BASER.
void vgic_its_process_commands(VgicIts *its);
void vgic_its_free_devices(VgicIts *its);
void vgic_its_free_collections(VgicIts *its);
// Whether @id fits the guest table @baser describes (flat: inside it; indirect: its
// level-1 entry valid), and where its entry is (@eaddr may be nullptr).
bool vgic_its_check_id(VgicIts *its, u64 baser, u32 id, u64 *eaddr);
ItsDevice *vgic_its_find_device(VgicIts *its, u32 id);
ItsCollection *vgic_its_find_collection(VgicIts *its, u32 id);
// MAPTI's translation of (@d, @event) into @lpi through collection @coll_id (made, with no
// target, if it does not exist: the caller checked its id). The LPI takes its
// configuration and pending bit from guest memory. 0, -ENOSPC (its_max_ites), -ENOMEM,
// or the guest-memory error.
int vgic_its_map_event(VgicIts *its, ItsDevice *d, u32 event, u32 lpi, u32 coll_id);
// KVM_DEV_ARM_ITS_SAVE_TABLES / RESTORE_TABLES (cmd_lock held, every vCPU locked): the
// translations into the guest's device table, ITTs and collection table, and back.
int vgic_its_save_tables(VgicIts *its);
int vgic_its_restore_tables(VgicIts *its);

} // namespace kvmx
