// SPDX-License-Identifier: GPL-2.0
/*
 * arm64 host check: kvmx needs the kernel itself at EL2 with VHE (HCR_EL2.E2H set), as
 * Debian's kernel runs when the firmware enters it at EL2 and KVM is kept out with
 * kvm-arm.mode=none. Reads the system registers the core may not read itself, and owns
 * the host interrupts of the guests' EL1 virtual and physical timers (unused by a VHE host
 * kernel, whose own timer is the EL2 one): while a guest runs, they end the run when the
 * guest's timer fires, so its interrupt controller hears of it at once; and the GIC's
 * maintenance interrupt for the in-kernel vGIC.
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/interrupt.h>
#include <linux/irq.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/of.h>
#include <linux/of_irq.h>
#include <linux/percpu.h>
#include <linux/printk.h>
#include <asm/cpufeature.h>
#include <asm/neon.h>
#include <asm/kvm_arm.h>
#include <asm/sysreg.h>
#include <asm/sysreg.h>
#include <asm/virt.h>

#include "glue.h"

/* The feature-ID registers the kernel sanitises across CPUs, as (CRm, op2) of op0=3 op1=0 CRn=0. */
static const u8 kvmx_sanitised_id_regs[][2] = {
	{ 1, 0 }, { 1, 1 }, { 1, 2 }, { 1, 4 }, { 1, 5 }, { 1, 6 }, { 1, 7 }, { 2, 0 }, { 2, 1 },
	{ 2, 2 }, { 2, 3 }, { 2, 4 }, { 2, 5 }, { 2, 6 }, { 2, 7 }, { 3, 0 }, { 3, 1 }, { 3, 2 },
	{ 3, 4 }, { 3, 5 }, { 3, 6 }, { 4, 0 }, { 4, 1 }, { 4, 4 }, { 4, 5 }, { 5, 0 }, { 5, 1 },
	{ 6, 0 }, { 6, 1 }, { 6, 2 }, { 7, 0 }, { 7, 1 }, { 7, 2 },
};

static void kvmx_read_id_regs(struct kvmx_host_info *info)
{
	unsigned int i, crm, op2;
	u64 mmfr1;

	for (i = 0; i < ARRAY_SIZE(kvmx_sanitised_id_regs); i++) {
		crm = kvmx_sanitised_id_regs[i][0];
		op2 = kvmx_sanitised_id_regs[i][1];
		info->arm64_id_regs[(crm - 1) * 8 + op2] =
			read_sanitised_ftr_reg(sys_reg(3, 0, 0, crm, op2));
	}
	info->arm64_midr = read_cpuid_id();
	info->arm64_revidr = read_sysreg(revidr_el1);
	info->arm64_ctr = read_sanitised_ftr_reg(SYS_CTR_EL0);
	info->arm64_clidr = read_sysreg(clidr_el1);
	info->arm64_aidr = read_sysreg(aidr_el1);
	info->arm64_dczid = read_sanitised_ftr_reg(SYS_DCZID_EL0);
	mmfr1 = read_sanitised_ftr_reg(SYS_ID_AA64MMFR1_EL1);
	/* ID_AA64MMFR1_EL1.VMIDBits, bits [7:4]: 0b0010 means 16-bit VMIDs. */
	info->arm64_vmid_bits = ((mmfr1 >> 4) & 0xf) == 2 ? 16 : 8;
}

void kvmx_host_fpsimd_begin(void)
{
	kernel_neon_begin();
}

void kvmx_host_fpsimd_end(void)
{
	kernel_neon_end();
}

/*
 * The guests' EL1 timers' host interrupts, by their index in the "arm,armv8-timer" node's
 * interrupts: 2 the virtual timer, 1 the non-secure physical timer. A VHE host kernel uses
 * neither (its own timer is the EL2 one), so kvmx takes both.
 */
struct kvmx_guest_timer_irq {
	int dt_index;
	const char *name;
	unsigned int irq;
	u32 type;
	void __percpu *dev;
	bool forwarded; /* irq_set_vcpu_affinity: the GIC driver leaves it active */
};
static struct kvmx_guest_timer_irq kvmx_timer_irqs[2] = {
	{ 2, "kvmx-vtimer" },
	{ 1, "kvmx-ptimer" },
};
static DEFINE_PER_CPU(u8, kvmx_timer_irq_on); /* bit n: kvmx_timer_irqs[n] enabled */
/*
 * Bit n of known: the active state of forwarded kvmx_timer_irqs[n] on this CPU is bit n of
 * active. Known once kvmx set it or the handler ran (the interrupt was acknowledged and the
 * GIC driver left it active); unknown again after a guest ran with an ICH_LR_HW list
 * register naming it (its deactivation deactivates the host interrupt). The handler does
 * not run for every firing: kvmx turns the guest's timer off at each exit, so a level
 * that ended the run is often gone when the host acknowledges (a spurious interrupt).
 */
static DEFINE_PER_CPU(u8, kvmx_timer_irq_known);
static DEFINE_PER_CPU(u8, kvmx_timer_irq_active);

static bool hw_timers;
module_param(hw_timers, bool, 0644);
MODULE_PARM_DESC(
	hw_timers,
	"map the guests' timers to their host interrupts (ICH_LR_HW) for vCPUs that first run from now on, as upstream KVM: one exit per timer interrupt instead of two, at a longer latency under TCG (performance.rst); default off: masked while the vGIC holds them, and a maintenance interrupt at their EOI");

int kvmx_host_arm64_hw_timers(void)
{
	return READ_ONCE(hw_timers);
}

static irqreturn_t kvmx_timer_handler(int irq, void *dev)
{
	unsigned int n;

	/* Taking the guest out was the whole point; the line fell at the exit. Forwarded,
	 * the GIC driver left the interrupt active. */
	for (n = 0; n < ARRAY_SIZE(kvmx_timer_irqs); n++) {
		if (kvmx_timer_irqs[n].irq == irq && kvmx_timer_irqs[n].forwarded) {
			this_cpu_or(kvmx_timer_irq_known, 1 << n);
			this_cpu_or(kvmx_timer_irq_active, 1 << n);
		}
	}
	return IRQ_HANDLED;
}

static void kvmx_timer_irq(unsigned int n, int enable)
{
	struct kvmx_guest_timer_irq *t = &kvmx_timer_irqs[n];
	u8 *on = this_cpu_ptr(&kvmx_timer_irq_on);

	if (!t->irq || !!(*on & (1 << n)) == !!enable)
		return;
	if (enable)
		enable_percpu_irq(t->irq, t->type);
	else
		disable_percpu_irq(t->irq);
	*on ^= 1 << n;
}

static void kvmx_timer_set_active(unsigned int n, int active)
{
	u8 *known = this_cpu_ptr(&kvmx_timer_irq_known), *on = this_cpu_ptr(&kvmx_timer_irq_active);
	struct kvmx_guest_timer_irq *t;
	u8 bit = 1 << n;

	if (n >= ARRAY_SIZE(kvmx_timer_irqs))
		return;
	t = &kvmx_timer_irqs[n];
	if (!t->forwarded || ((*known & bit) && !!(*on & bit) == !!active))
		return;
	if (irq_set_irqchip_state(t->irq, IRQCHIP_STATE_ACTIVE, active)) {
		*known &= ~bit;
		return;
	}
	*known |= bit;
	if (active)
		*on |= bit;
	else
		*on &= ~bit;
}

/* Bit n: kvmx_timer_irqs[n] exists (was requested), is forwarded. */
static u8 kvmx_timer_present, kvmx_timer_forwarded;

void kvmx_host_arm64_timer_irqs(unsigned int enable, unsigned int active)
{
	u8 on = this_cpu_read(kvmx_timer_irq_on), fwd = READ_ONCE(kvmx_timer_forwarded);
	u8 known = this_cpu_read(kvmx_timer_irq_known), act = this_cpu_read(kvmx_timer_irq_active);
	unsigned int n;

	/* Most entries change nothing: one look at this CPU's state, no call. */
	if (on == (enable & kvmx_timer_present) && (known & fwd) == fwd &&
	    (act & fwd) == (active & fwd))
		return;
	for (n = 0; n < ARRAY_SIZE(kvmx_timer_irqs); n++) {
		kvmx_timer_irq(n, enable & (1 << n));
		kvmx_timer_set_active(n, active & (1 << n));
	}
}

void kvmx_host_arm64_timer_active_unknown(unsigned int n)
{
	if (n < ARRAY_SIZE(kvmx_timer_irqs))
		this_cpu_and(kvmx_timer_irq_known, ~(1 << n));
}

static void kvmx_timer_irqs_off(void *unused)
{
	unsigned int n;

	for (n = 0; n < ARRAY_SIZE(kvmx_timer_irqs); n++) {
		kvmx_timer_irq(n, 0);
		kvmx_timer_set_active(n, 0);
	}
}

/*
 * With a vGIC, the timer interrupts can be forwarded as upstream KVM forwards them: the GIC
 * driver (in its EOImode 1, a kernel entered at EL2) then only drops the priority at the
 * end of the handler, and the interrupt stays active until deactivated: by the guest,
 * through the ICH_LR_HW list register that names it, or by kvmx. At load kvmx only checks
 * that the driver can (and undoes it): forwarded, every firing the handler sees costs an
 * explicit deactivation, so the first vCPU that maps its timers (hw_timers=1) turns it on,
 * for good (kvmx_host_arm64_timer_forward).
 */
static void kvmx_timer_irq_forward_check(struct kvmx_host_info *info)
{
	unsigned int n;
	int r;

	for (n = 0; n < ARRAY_SIZE(kvmx_timer_irqs); n++) {
		struct kvmx_guest_timer_irq *t = &kvmx_timer_irqs[n];

		if (!t->irq)
			continue;
		r = irq_set_vcpu_affinity(t->irq, t);
		if (r) {
			pr_info("kvmx: %s interrupt cannot be forwarded (%d): guests' timers stay masked while pending\n",
				t->name, r);
			continue;
		}
		irq_set_vcpu_affinity(t->irq, NULL);
		info->arm64_timer_hwintid[n] = irqd_to_hwirq(irq_get_irq_data(t->irq));
	}
}

static DEFINE_MUTEX(kvmx_timer_forward_lock);

int kvmx_host_arm64_timer_forward(void)
{
	unsigned int n;
	int r = 0;

	mutex_lock(&kvmx_timer_forward_lock);
	for (n = 0; n < ARRAY_SIZE(kvmx_timer_irqs); n++) {
		struct kvmx_guest_timer_irq *t = &kvmx_timer_irqs[n];

		if (!t->irq || t->forwarded)
			continue;
		r = irq_set_vcpu_affinity(t->irq, t);
		if (r)
			break;
		t->forwarded = true;
		WRITE_ONCE(kvmx_timer_forwarded, kvmx_timer_forwarded | 1 << n);
	}
	mutex_unlock(&kvmx_timer_forward_lock);
	return r;
}

/* Without them guests still run; a timer line then reaches kvmx at the next host tick. */
static void kvmx_timer_irq_setup(void)
{
	struct device_node *np = of_find_compatible_node(NULL, NULL, "arm,armv8-timer");
	unsigned int n, irq;
	int r;

	if (!np) {
		pr_info("kvmx: no arm,armv8-timer device-tree node: guest timer lines are seen at the next host interrupt\n");
		return;
	}
	for (n = 0; n < ARRAY_SIZE(kvmx_timer_irqs); n++) {
		struct kvmx_guest_timer_irq *t = &kvmx_timer_irqs[n];

		irq = irq_of_parse_and_map(np, t->dt_index);
		if (!irq) {
			pr_info("kvmx: no %s interrupt in the device tree\n", t->name);
			continue;
		}
		t->dev = alloc_percpu(u8);
		if (!t->dev)
			continue;
		r = request_percpu_irq(irq, kvmx_timer_handler, t->name, t->dev);
		if (r) {
			pr_info("kvmx: cannot take the %s interrupt %u (%d)\n", t->name, irq, r);
			free_percpu(t->dev);
			t->dev = NULL;
			continue;
		}
		t->type = irq_get_trigger_type(irq);
		t->irq = irq;
		kvmx_timer_present |= 1 << n;
	}
	of_node_put(np);
}

static void kvmx_timer_irq_release(void)
{
	unsigned int n;

	on_each_cpu(kvmx_timer_irqs_off, NULL, 1);
	for (n = 0; n < ARRAY_SIZE(kvmx_timer_irqs); n++) {
		struct kvmx_guest_timer_irq *t = &kvmx_timer_irqs[n];

		if (!t->irq)
			continue;
		if (t->forwarded)
			irq_set_vcpu_affinity(t->irq, NULL);
		t->forwarded = false;
		kvmx_timer_forwarded &= ~(1 << n);
		kvmx_timer_present &= ~(1 << n);
		free_percpu_irq(t->irq, t->dev);
		free_percpu(t->dev);
		t->irq = 0;
		t->dev = NULL;
	}
}

/*
 * The GICv3 maintenance interrupt: the interrupts property of the GIC's own device-tree
 * node (PPI 9, INTID 25, on QEMU's virt machine), which the host kernel's GIC driver maps
 * but only KVM would request. kvmx takes it when the built-in KVM is off; like KVM it
 * only ends a guest run, the vGIC reads the list registers on the way out.
 */
static unsigned int kvmx_maint_irq;
static u32 kvmx_maint_irq_type;
static DEFINE_PER_CPU(bool, kvmx_maint_irq_on);
static void __percpu *kvmx_maint_dev;

static irqreturn_t kvmx_maint_handler(int irq, void *dev)
{
	return IRQ_HANDLED;
}

void kvmx_host_arm64_gic_maint_irq(void)
{
	if (!kvmx_maint_irq || this_cpu_read(kvmx_maint_irq_on))
		return;
	enable_percpu_irq(kvmx_maint_irq, kvmx_maint_irq_type);
	this_cpu_write(kvmx_maint_irq_on, true);
}

static void kvmx_maint_irq_off(void *unused)
{
	if (this_cpu_read(kvmx_maint_irq_on))
		disable_percpu_irq(kvmx_maint_irq);
	this_cpu_write(kvmx_maint_irq_on, false);
}

/* ID_AA64PFR0_EL1.GIC, bits [27:24]: the GICv3 system-register CPU interface. */
#define KVMX_PFR0_GIC_SHIFT 24

/* ICH_VTR_EL2 if guests can have a vGIC here, else 0 (with a line saying why). */
static u64 kvmx_vgic_setup(void)
{
	struct device_node *np;
	unsigned int irq;
	int r;

	if (!((read_sanitised_ftr_reg(SYS_ID_AA64PFR0_EL1) >> KVMX_PFR0_GIC_SHIFT) & 0xf)) {
		pr_info("kvmx: no GICv3 CPU interface: no in-kernel vGIC\n");
		return 0;
	}
	np = of_find_compatible_node(NULL, NULL, "arm,gic-v3");
	if (!np) {
		pr_info("kvmx: no arm,gic-v3 device-tree node: no in-kernel vGIC\n");
		return 0;
	}
	irq = irq_of_parse_and_map(np, 0);
	of_node_put(np);
	if (!irq) {
		pr_info("kvmx: no GIC maintenance interrupt in the device tree: no in-kernel vGIC\n");
		return 0;
	}
	kvmx_maint_dev = alloc_percpu(u8);
	if (!kvmx_maint_dev)
		return 0;
	r = request_percpu_irq(irq, kvmx_maint_handler, "kvmx-vgic-maint", kvmx_maint_dev);
	if (r) {
		pr_info("kvmx: cannot take the GIC maintenance interrupt %u (%d): no in-kernel vGIC\n",
			irq, r);
		free_percpu(kvmx_maint_dev);
		kvmx_maint_dev = NULL;
		return 0;
	}
	kvmx_maint_irq_type = irq_get_trigger_type(irq);
	kvmx_maint_irq = irq;
	return read_sysreg_s(SYS_ICH_VTR_EL2);
}

static long kvmx_vgic_file_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	return kvmx_arm64_vgic_dev_ioctl(file->private_data, cmd, arg);
}

static int kvmx_vgic_file_release(struct inode *inode, struct file *file)
{
	kvmx_arm64_vgic_dev_release(file->private_data);
	return 0;
}

static const struct file_operations kvmx_vgic_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = kvmx_vgic_file_ioctl,
	.release = kvmx_vgic_file_release,
	.llseek = noop_llseek,
};

int kvmx_host_arm64_vgic_fd_install(struct kvmx_vgic_dev *dev)
{
	return anon_inode_getfd("kvm-arm-vgic-v3", &kvmx_vgic_fops, dev, O_RDWR | O_CLOEXEC);
}

int kvmx_arch_host_check(struct kvmx_host_info *info)
{
	if (!is_kernel_in_hyp_mode()) {
		pr_err("kvmx: the kernel is not running at EL2, so kvmx cannot install a hypervisor; boot a VHE host entered at EL2 (e.g. QEMU -M virt,virtualization=on)\n");
		return -ENODEV;
	}
	if (!(read_sysreg(hcr_el2) & HCR_E2H)) {
		pr_err("kvmx: EL2 without VHE (HCR_EL2.E2H clear) is not supported\n");
		return -ENODEV;
	}
	info->arm64_id_aa64mmfr0 = read_sanitised_ftr_reg(SYS_ID_AA64MMFR0_EL1);
	kvmx_read_id_regs(info);
	kvmx_arm64_pmu_probe(info);
	kvmx_timer_irq_setup();
	info->arm64_ich_vtr = kvmx_vgic_setup();
	if (info->arm64_ich_vtr)
		kvmx_timer_irq_forward_check(info);
	return 0;
}

void kvmx_arch_host_release(void)
{
	if (kvmx_maint_irq) {
		on_each_cpu(kvmx_maint_irq_off, NULL, 1);
		free_percpu_irq(kvmx_maint_irq, kvmx_maint_dev);
		free_percpu(kvmx_maint_dev);
		kvmx_maint_irq = 0;
		kvmx_maint_dev = NULL;
	}
	kvmx_timer_irq_release();
}
