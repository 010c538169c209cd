// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel implementation of include/kvmx/host.h: allocation, user copies, the VM fd
 * (anon inode) and logging. The VM fd also carries the mm of the process that created
 * it: as on upstream KVM, ioctls from any other process get -EIO.
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/irqflags.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/printk.h>
#include <linux/ratelimit.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "glue.h"

/* Live allocations of the module, checked at unload: a non-zero count is a leak. */
static atomic_long_t kvmx_live_allocs = ATOMIC_LONG_INIT(0);

void *kvmx_host_zalloc(kvmx_size_t size)
{
	void *ptr = kvzalloc(size, GFP_KERNEL_ACCOUNT);

	if (ptr)
		atomic_long_inc(&kvmx_live_allocs);
	return ptr;
}

void kvmx_host_free(void *ptr)
{
	if (ptr)
		atomic_long_dec(&kvmx_live_allocs);
	kvfree(ptr);
}

void kvmx_host_check_leaks(void)
{
	long live = atomic_long_read(&kvmx_live_allocs);

	if (live)
		pr_err("kvmx: %ld allocations still live at unload\n", live);
}

long kvmx_host_live_allocs(void)
{
	return atomic_long_read(&kvmx_live_allocs);
}

void *kvmx_host_alloc_page(void)
{
	void *page = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);

	if (page)
		atomic_long_inc(&kvmx_live_allocs);
	return page;
}

void kvmx_host_free_page(void *page)
{
	if (page)
		atomic_long_dec(&kvmx_live_allocs);
	free_page((unsigned long)page);
}

/* The buddy allocator returns blocks aligned to their size: 2^order pages cover @bytes. */
void *kvmx_host_alloc_table(kvmx_u64 bytes)
{
	void *table;

	if (!bytes || (bytes & (bytes - 1)) || bytes > (1ULL << 20))
		return NULL;
	table = (void *)__get_free_pages(GFP_KERNEL_ACCOUNT | __GFP_ZERO, get_order(bytes));
	if (table)
		atomic_long_inc(&kvmx_live_allocs);
	return table;
}

void kvmx_host_free_table(void *table, kvmx_u64 bytes)
{
	if (!table)
		return;
	atomic_long_dec(&kvmx_live_allocs);
	free_pages((unsigned long)table, get_order(bytes));
}

kvmx_u64 kvmx_host_virt_to_phys(const void *va)
{
	return virt_to_phys((void *)va); /* powerpc's takes a non-const pointer */
}

void *kvmx_host_phys_to_virt(kvmx_u64 pa)
{
	return phys_to_virt(pa);
}

unsigned long kvmx_host_irq_save(void)
{
	unsigned long flags;

	local_irq_save(flags);
	return flags;
}

void kvmx_host_irq_restore(unsigned long flags)
{
	local_irq_restore(flags);
}

struct kvmx_mutex {
	struct mutex mutex;
};

struct kvmx_mutex *kvmx_host_mutex_create(void)
{
	struct kvmx_mutex *m = kvmx_host_zalloc(sizeof(*m));

	if (m)
		mutex_init(&m->mutex);
	return m;
}

void kvmx_host_mutex_destroy(struct kvmx_mutex *m)
{
	if (m)
		mutex_destroy(&m->mutex);
	kvmx_host_free(m);
}

void kvmx_host_mutex_lock(struct kvmx_mutex *m)
{
	mutex_lock(&m->mutex);
}

void kvmx_host_mutex_unlock(struct kvmx_mutex *m)
{
	mutex_unlock(&m->mutex);
}

int kvmx_host_mutex_trylock(struct kvmx_mutex *m)
{
	return mutex_trylock(&m->mutex);
}

int kvmx_host_user_range_ok(kvmx_uptr addr, kvmx_size_t len)
{
	/* A tagged address (arm64 TBI) is refused; elsewhere untagged_addr() is the identity. */
	kvmx_uptr untagged = untagged_addr(addr);

	return untagged == addr && access_ok((void __user *)addr, len);
}

int kvmx_host_copy_from_user(void *dst, kvmx_uptr src, kvmx_size_t len)
{
	return copy_from_user(dst, (const void __user *)src, len) ? -EFAULT : 0;
}

int kvmx_host_copy_to_user(kvmx_uptr dst, const void *src, kvmx_size_t len)
{
	return copy_to_user((void __user *)dst, src, len) ? -EFAULT : 0;
}

struct kvmx_vm_file {
	struct kvmx_vm *vm;
	struct mm_struct *mm; /* creator's address space (mmgrab'ed) */
};

static long kvmx_vm_file_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct kvmx_vm_file *vf = file->private_data;

	if (vf->mm != current->mm)
		return -EIO;
	return kvmx_vm_ioctl(vf->vm, cmd, arg);
}

static int kvmx_vm_file_release(struct inode *inode, struct file *file)
{
	struct kvmx_vm_file *vf = file->private_data;

	kvmx_vm_release(vf->vm);
	mmdrop(vf->mm);
	kvmx_host_free(vf);
	return 0;
}

static const struct file_operations kvmx_vm_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = kvmx_vm_file_ioctl,
	.release = kvmx_vm_file_release,
	.llseek = noop_llseek,
};

int kvmx_host_vm_fd_install(struct kvmx_vm *vm)
{
	struct kvmx_vm_file *vf;
	int fd;

	vf = kvmx_host_zalloc(sizeof(*vf));
	if (!vf)
		return -ENOMEM;
	vf->vm = vm;
	vf->mm = current->mm;
	mmgrab(vf->mm);
	/* anon_inode_getfd takes a module reference for the fd through fops->owner. */
	fd = anon_inode_getfd("kvm-vm", &kvmx_vm_fops, vf, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		mmdrop(vf->mm);
		kvmx_host_free(vf);
	}
	return fd;
}

struct kvmx_vcpu_file {
	struct kvmx_vcpu *vcpu;
	struct mm_struct *mm; /* creator's address space (mmgrab'ed) */
};

static long kvmx_vcpu_file_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct kvmx_vcpu_file *vf = file->private_data;

	if (vf->mm != current->mm)
		return -EIO;
	return kvmx_vcpu_ioctl(vf->vcpu, cmd, arg);
}

static vm_fault_t kvmx_vcpu_vm_fault(struct vm_fault *vmf)
{
	struct kvmx_vcpu_file *vf = vmf->vma->vm_file->private_data;
	void *kaddr = kvmx_vcpu_mmap_page(vf->vcpu, vmf->pgoff);

	if (!kaddr)
		return VM_FAULT_SIGBUS;
	vmf->page = virt_to_page(kaddr);
	get_page(vmf->page);
	return 0;
}

static const struct vm_operations_struct kvmx_vcpu_vm_ops = {
	.fault = kvmx_vcpu_vm_fault,
};

static int kvmx_vcpu_file_mmap(struct file *file, struct vm_area_struct *vma)
{
	vma->vm_ops = &kvmx_vcpu_vm_ops;
	return 0;
}

static int kvmx_vcpu_file_release(struct inode *inode, struct file *file)
{
	struct kvmx_vcpu_file *vf = file->private_data;

	kvmx_vcpu_release(vf->vcpu);
	mmdrop(vf->mm);
	kvmx_host_free(vf);
	return 0;
}

static const struct file_operations kvmx_vcpu_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = kvmx_vcpu_file_ioctl,
	.mmap = kvmx_vcpu_file_mmap,
	.release = kvmx_vcpu_file_release,
	.llseek = noop_llseek,
};

int kvmx_host_vcpu_fd_install(struct kvmx_vcpu *vcpu, unsigned int id)
{
	struct kvmx_vcpu_file *vf;
	char name[24];
	int fd;

	vf = kvmx_host_zalloc(sizeof(*vf));
	if (!vf)
		return -ENOMEM;
	vf->vcpu = vcpu;
	vf->mm = current->mm;
	mmgrab(vf->mm);
	snprintf(name, sizeof(name), "kvm-vcpu:%u", id);
	fd = anon_inode_getfd(name, &kvmx_vcpu_fops, vf, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		mmdrop(vf->mm);
		kvmx_host_free(vf);
	}
	return fd;
}

struct kvmx_stats_file {
	struct kvmx_vm *vm;
	struct kvmx_vcpu *vcpu;
};

static ssize_t kvmx_stats_file_read(struct file *file, char __user *ubuf, size_t size, loff_t *pos)
{
	struct kvmx_stats_file *sf = file->private_data;
	size_t chunk = min_t(size_t, size, PAGE_SIZE);
	void *kbuf;
	long n;

	if (*pos < 0)
		return -EINVAL;
	kbuf = kvmalloc(chunk, GFP_KERNEL_ACCOUNT);
	if (!kbuf)
		return -ENOMEM;
	n = kvmx_stats_read(sf->vm, sf->vcpu, kbuf, chunk, *pos);
	if (n > 0) {
		if (copy_to_user(ubuf, kbuf, n))
			n = -EFAULT;
		else
			*pos += n;
	}
	kvfree(kbuf);
	return n;
}

static int kvmx_stats_file_release(struct inode *inode, struct file *file)
{
	struct kvmx_stats_file *sf = file->private_data;

	kvmx_vm_release(sf->vm);
	kvmx_host_free(sf);
	return 0;
}

static const struct file_operations kvmx_stats_fops = {
	.owner = THIS_MODULE,
	.read = kvmx_stats_file_read,
	.release = kvmx_stats_file_release,
	.llseek = noop_llseek,
};

int kvmx_host_stats_fd_install(struct kvmx_vm *vm, struct kvmx_vcpu *vcpu)
{
	struct kvmx_stats_file *sf = kvmx_host_zalloc(sizeof(*sf));
	struct file *file;
	int fd;

	if (!sf)
		return -ENOMEM;
	sf->vm = vm;
	sf->vcpu = vcpu;
	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		kvmx_host_free(sf);
		return fd;
	}
	file = anon_inode_getfile(vcpu ? "kvm-vcpu-stats" : "kvm-vm-stats", &kvmx_stats_fops, sf,
				  O_RDONLY);
	if (IS_ERR(file)) {
		put_unused_fd(fd);
		kvmx_host_free(sf);
		return PTR_ERR(file);
	}
	/* pread() at any offset: the file is produced on demand. */
	file->f_mode |= FMODE_PREAD;
	fd_install(fd, file);
	return fd;
}

unsigned int kvmx_host_pid(void)
{
	return task_tgid_vnr(current);
}

static void kvmx_vlog(int level, const char *fmt, va_list args)
{
	struct va_format vaf = { .fmt = fmt, .va = &args };

	switch (level) {
	case KVMX_LOG_ERR:
		pr_err("%pV", &vaf);
		break;
	case KVMX_LOG_WARN:
		pr_warn("%pV", &vaf);
		break;
	case KVMX_LOG_INFO:
		pr_info("%pV", &vaf);
		break;
	default:
		if (kvmx_debug)
			printk(KERN_DEBUG "%pV", &vaf);
		break;
	}
}

void kvmx_host_log(int level, const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	kvmx_vlog(level, fmt, args);
	va_end(args);
}

/* One budget for everything guests and users can trigger: 10 lines per 5 s. */
static DEFINE_RATELIMIT_STATE(kvmx_guest_ratelimit, 5 * HZ, 10);

void kvmx_host_log_guest(int level, unsigned int vm_id, int vcpu_id, const char *fmt, ...)
{
	struct va_format vaf;
	va_list args;

	if (!__ratelimit(&kvmx_guest_ratelimit))
		return;
	va_start(args, fmt);
	vaf.fmt = fmt;
	vaf.va = &args;
	kvmx_host_log(level, "kvmx: vm %u vcpu %d: %pV", vm_id, vcpu_id, &vaf);
	va_end(args);
}
