// SPDX-License-Identifier: GPL-2.0
/*
 * Fixture for PA2003: balloon_page_insert() wants the page locked and the
 * balloon's pages_lock held.
 */
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/balloon_compaction.h>

struct demo_balloon {
	struct balloon_dev_info vb_dev_info;
	struct mutex balloon_lock;
};

/* Only called with pages_lock held (both callers below). */
static void demo_enqueue_one(struct balloon_dev_info *b, struct page *page)
{
	BUG_ON(!trylock_page(page));
	balloon_page_insert(b, page);	/* ok: PA2003 */
	unlock_page(page);
}

void demo_enqueue(struct balloon_dev_info *b, struct page *page)
{
	unsigned long flags;

	spin_lock_irqsave(&b->pages_lock, flags);
	demo_enqueue_one(b, page);
	spin_unlock_irqrestore(&b->pages_lock, flags);
}

void demo_enqueue_list(struct balloon_dev_info *b, struct list_head *pages)
{
	struct page *page, *tmp;

	spin_lock_irq(&b->pages_lock);
	list_for_each_entry_safe(page, tmp, pages, lru) {
		list_del(&page->lru);
		demo_enqueue_one(b, page);
	}
	spin_unlock_irq(&b->pages_lock);
}

void demo_insert_page_unlocked(struct balloon_dev_info *b, struct page *page)
{
	spin_lock_irq(&b->pages_lock);
	balloon_page_insert(b, page);	/* expect: PA2003 */
	spin_unlock_irq(&b->pages_lock);
}

void demo_insert_list_unlocked(struct balloon_dev_info *b, struct page *page)
{
	lock_page(page);
	balloon_page_insert(b, page);	/* expect: PA2003 */
	unlock_page(page);
}

void demo_insert_other_page(struct balloon_dev_info *b, struct page *page, struct page *other)
{
	lock_page(other);
	spin_lock_irq(&b->pages_lock);
	balloon_page_insert(b, page);	/* expect: PA2003 */
	spin_unlock_irq(&b->pages_lock);
	unlock_page(other);
}

void demo_insert_folio(struct balloon_dev_info *b, struct page *page)
{
	struct folio *folio = page_folio(page);

	folio_lock(folio);
	spin_lock_irq(&b->pages_lock);
	balloon_page_insert(b, page);	/* ok: PA2003 */
	spin_unlock_irq(&b->pages_lock);
	folio_unlock(folio);
}

int demo_insert_if_free(struct balloon_dev_info *b, struct page *page)
{
	if (!trylock_page(page))
		return -EAGAIN;
	spin_lock_irq(&b->pages_lock);
	balloon_page_insert(b, page);	/* ok: PA2003 */
	spin_unlock_irq(&b->pages_lock);
	unlock_page(page);
	return 0;
}

void demo_insert_sometimes_locked(struct balloon_dev_info *b, struct page *page, bool fresh)
{
	if (!fresh)
		lock_page(page);
	spin_lock_irq(&b->pages_lock);
	balloon_page_insert(b, page);	/* expect: PA2003 */
	spin_unlock_irq(&b->pages_lock);
}

/* The migration core locks both pages before calling this (callbacks.toml). */
static int demo_migratepage(struct balloon_dev_info *vb_dev_info, struct page *newpage,
			    struct page *page, enum migrate_mode mode)
{
	struct demo_balloon *db = container_of(vb_dev_info, struct demo_balloon, vb_dev_info);
	unsigned long flags;

	if (!mutex_trylock(&db->balloon_lock))
		return -EAGAIN;
	spin_lock_irqsave(&vb_dev_info->pages_lock, flags);
	balloon_page_insert(vb_dev_info, newpage);	/* ok: PA2003 */
	vb_dev_info->isolated_pages--;
	spin_unlock_irqrestore(&vb_dev_info->pages_lock, flags);
	balloon_page_insert(&db->vb_dev_info, newpage);	/* expect: PA2003 */
	mutex_unlock(&db->balloon_lock);
	return MIGRATEPAGE_SUCCESS;
}

static int demo_init(struct demo_balloon *db)
{
	balloon_devinfo_init(&db->vb_dev_info);
	db->vb_dev_info.migratepage = demo_migratepage;
	return 0;
}
