// SPDX-License-Identifier: GPL-2.0
/*
 * A toy balloon driver built on the balloon compaction interface. Its pages'
 * ->private must reference the balloon device, and be written only with
 * set_page_private().
 */
#include <linux/balloon_compaction.h>
#include <linux/seq_file.h>

struct toy_cookie {
	unsigned long serial;
};

struct toy_balloon {
	struct balloon_dev_info b_dev_info;
	struct toy_cookie cookie;
};

static void toy_enqueue(struct balloon_dev_info *b_dev_info, struct page *page)
{
	set_page_private(page, (unsigned long)b_dev_info); /* ok: PA3201 */
	list_add(&page->lru, &b_dev_info->pages);
}

static void toy_enqueue_member(struct toy_balloon *tb, struct page *page)
{
	set_page_private(page, (unsigned long)&tb->b_dev_info); /* ok: PA3201 */
}

static void toy_forget(struct page *page)
{
	set_page_private(page, 0); /* ok: PA3201 */
}

static void toy_tag(struct toy_balloon *tb, struct page *page)
{
	struct toy_cookie *cookie = &tb->cookie;

	set_page_private(page, (unsigned long)cookie); /* expect: PA3201 */
	page->private = (unsigned long)&tb->b_dev_info; /* expect: PA3201 */
	attach_page_private(page, cookie); /* expect: PA3201 */
}

static void toy_tag_unknown(struct page *page)
{
	/* The value's type is not declared here: never judged. */
	set_page_private(page, toy_lookup_serial(page)); /* ok: PA3201 */
}

static int toy_show_open(struct seq_file *m, struct toy_balloon *tb)
{
	m->private = tb; /* ok: PA3201 */
	return 0;
}
