// SPDX-License-Identifier: GPL-2.0
/*
 * Fixture for PA2002: pages leave the balloon device's list (b->pages) only
 * under b->pages_lock. Private page lists are not the balloon list.
 */
#include <linux/mm.h>
#include <linux/list.h>
#include <linux/balloon_compaction.h>

struct demo_balloon {
	struct balloon_dev_info b_dev_info;
	struct mutex balloon_lock;
	struct list_head refused;
};

static size_t demo_dequeue_locked(struct balloon_dev_info *b, struct list_head *out)
{
	struct page *page, *tmp;
	unsigned long flags;
	size_t n = 0;

	spin_lock_irqsave(&b->pages_lock, flags);
	list_for_each_entry_safe(page, tmp, &b->pages, lru) {
		if (!trylock_page(page))
			continue;
		list_del(&page->lru);	/* ok: PA2002 */
		list_add(&page->lru, out);
		unlock_page(page);
		n++;
	}
	spin_unlock_irqrestore(&b->pages_lock, flags);
	return n;
}

static size_t demo_dequeue_unlocked(struct demo_balloon *db, struct list_head *out)
{
	struct page *page, *tmp;
	size_t n = 0;

	mutex_lock(&db->balloon_lock);
	list_for_each_entry_safe(page, tmp, &db->b_dev_info.pages, lru) {
		list_move(&page->lru, out);	/* expect: PA2002 */
		n++;
	}
	mutex_unlock(&db->balloon_lock);
	return n;
}

static void demo_private_list(struct demo_balloon *db, struct list_head *pages)
{
	struct page *page, *tmp;

	list_for_each_entry_safe(page, tmp, pages, lru) {
		list_del(&page->lru);	/* ok: PA2002 */
		__free_page(page);
	}
	list_for_each_entry_safe(page, tmp, &db->refused, lru)
		list_del_init(&page->lru);	/* ok: PA2002 */
}

static struct page *demo_take_first(struct balloon_dev_info *b)
{
	struct page *page;

	page = list_first_entry_or_null(&b->pages, struct page, lru);
	if (page)
		list_del(&page->lru);	/* expect: PA2002 */
	return page;
}

static void demo_drain(struct balloon_dev_info *b, struct list_head *out)
{
	list_splice_init(&b->pages, out);	/* expect: PA2002 */
	spin_lock(&b->pages_lock);
	list_splice_init(&b->pages, out);	/* ok: PA2002 */
	spin_unlock(&b->pages_lock);
}

static bool demo_isolate(struct page *page, isolate_mode_t mode)
{
	struct balloon_dev_info *b = balloon_page_device(page);

	list_del(&page->lru);	/* expect: PA2002 */
	spin_lock(&b->pages_lock);
	b->isolated_pages++;
	spin_unlock(&b->pages_lock);
	return true;
}

static bool demo_isolate_right(struct page *page, isolate_mode_t mode)
{
	struct balloon_dev_info *b = balloon_page_device(page);
	unsigned long flags;

	spin_lock_irqsave(&b->pages_lock, flags);
	list_del(&page->lru);	/* ok: PA2002 */
	b->isolated_pages++;
	spin_unlock_irqrestore(&b->pages_lock, flags);
	return true;
}

static void demo_some_paths(struct balloon_dev_info *b, bool locked)
{
	struct page *page;

	if (locked)
		spin_lock(&b->pages_lock);
	page = list_first_entry(&b->pages, struct page, lru);
	list_del(&page->lru);	/* expect: PA2002 */
	if (locked)
		spin_unlock(&b->pages_lock);
}

static void demo_annotated(struct balloon_dev_info *b)
	__must_hold(&b->pages_lock)
{
	struct page *page = list_last_entry(&b->pages, struct page, lru);

	list_del(&page->lru);	/* ok: PA2002 */
}

void demo_asserted(struct balloon_dev_info *b)
{
	struct page *page = list_first_entry(&b->pages, struct page, lru);

	lockdep_assert_held(&b->pages_lock);
	list_del(&page->lru);	/* ok: PA2002 */
}

/* Called only under pages_lock: the helper inherits it from its callers. */
static void demo_unlink(struct balloon_dev_info *b)
{
	struct page *page = list_first_entry(&b->pages, struct page, lru);

	list_del(&page->lru);	/* ok: PA2002 */
}

void demo_unlink_one(struct balloon_dev_info *b)
{
	spin_lock(&b->pages_lock);
	demo_unlink(b);
	spin_unlock(&b->pages_lock);
}

/* The lock was taken by a helper we cannot see: the analysis does not guess. */
void demo_unlock_only(struct balloon_dev_info *b)
{
	struct page *page = list_first_entry(&b->pages, struct page, lru);

	demo_lock_pages(b);
	list_del(&page->lru);	/* ok: PA2002 */
	spin_unlock(&b->pages_lock);
}

static const struct movable_operations demo_mops = {
	.isolate_page = demo_isolate,
	.putback_page = demo_isolate_right,
};
