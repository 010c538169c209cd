// SPDX-License-Identifier: GPL-2.0
/*
 * POWER glue for the in-kernel TCE tables (arch/powerpc/kvm/tce.cpp): the fd that
 * KVM_CREATE_SPAPR_TCE(_64) returns. Its mmap gives the VMM the table's pages, in the
 * CPU's byte order as upstream's, faulted in one host page at a time (the C++ allocates a
 * page on first use); closing the last reference releases the table. No policy here.
 */
#include <linux/anon_inodes.h>
#include <linux/fs.h>
#include <linux/mm.h>

#include "glue.h"
#include <kvmx/ppc.h>

static vm_fault_t kvmx_ppc_tce_fault(struct vm_fault *vmf)
{
	struct kvmx_ppc_tce *t = vmf->vma->vm_file->private_data;
	void *kaddr = kvmx_ppc_tce_page(t, vmf->pgoff);

	if (!kaddr)
		return VM_FAULT_SIGBUS;
	vmf->page = virt_to_page(kaddr);
	get_page(vmf->page);
	return 0;
}

static const struct vm_operations_struct kvmx_ppc_tce_vm_ops = {
	.fault = kvmx_ppc_tce_fault,
};

static int kvmx_ppc_tce_mmap(struct file *file, struct vm_area_struct *vma)
{
	vma->vm_ops = &kvmx_ppc_tce_vm_ops;
	return 0;
}

static int kvmx_ppc_tce_file_release(struct inode *inode, struct file *file)
{
	kvmx_ppc_tce_release(file->private_data);
	return 0;
}

static const struct file_operations kvmx_ppc_tce_fops = {
	.owner = THIS_MODULE,
	.mmap = kvmx_ppc_tce_mmap,
	.release = kvmx_ppc_tce_file_release,
	.llseek = noop_llseek,
};

int kvmx_host_ppc_tce_fd_install(struct kvmx_ppc_tce *t)
{
	return anon_inode_getfd("kvm-spapr-tce", &kvmx_ppc_tce_fops, t, O_RDWR | O_CLOEXEC);
}
