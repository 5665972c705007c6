/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Describe the kernel's data layout to the tools that read a crash dump.
 */
#ifndef _LINUX_CRASH_INFO_H
#define _LINUX_CRASH_INFO_H

#include <linux/compiler.h>
#include <linux/stddef.h>

#define CRASH_INFO_BYTES	4096

extern __printf(1, 2) void crash_info_append_str(const char *fmt, ...);

/*
 * Each helper appends one "KIND(name)=value" line to the note.  The key is
 * the name of the C symbol as written, so renaming a symbol changes what
 * the dump tools have to look for.
 */
#define VMCOREINFO_SYMBOL(name)						\
	crash_info_append_str("SYMBOL(%s)=%lx\n", #name,		\
			      (unsigned long)&name)
#define VMCOREINFO_STRUCT_SIZE(name)					\
	crash_info_append_str("SIZE(%s)=%lu\n", #name,			\
			      (unsigned long)sizeof(struct name))
#define VMCOREINFO_OFFSET(name, field)					\
	crash_info_append_str("OFFSET(%s.%s)=%lu\n", #name, #field,	\
			      (unsigned long)offsetof(struct name, field))
#define VMCOREINFO_NUMBER(name)						\
	crash_info_append_str("NUMBER(%s)=%ld\n", #name, (long)name)

#endif /* _LINUX_CRASH_INFO_H */
