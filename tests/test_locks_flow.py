"""Lock state through each control-flow construct: the held and the not-held case of each."""

from __future__ import annotations

from locks_probe import HELD, NOT_HELD, PARTIAL, analyse, probes


def test_straight_line_take_and_release() -> None:
    src = """
void f(struct dev *d)
{
	probe(before);
	spin_lock(&d->lock);
	probe(inside);
	spin_unlock(&d->lock);
	probe(after);
}
"""
    assert probes(src) == {"before": NOT_HELD, "inside": HELD, "after": NOT_HELD}


def test_if_else_both_arms_and_one_arm() -> None:
    src = """
void f(struct dev *d, int x)
{
	if (x)
		spin_lock(&d->lock);
	else
		spin_lock_irq(&d->lock);
	probe(both_arms);
	spin_unlock(&d->lock);
	if (x)
		spin_lock(&d->lock);
	probe(one_arm);
}
"""
    assert probes(src) == {"both_arms": HELD, "one_arm": PARTIAL}


def test_early_return_leaves_the_lock_held_after_it() -> None:
    src = """
int f(struct dev *d, int x)
{
	spin_lock(&d->lock);
	if (x) {
		spin_unlock(&d->lock);
		probe(unlocked_branch);
		return -EINVAL;
	}
	probe(after_early_return);
	spin_unlock(&d->lock);
	return 0;
}
"""
    assert probes(src) == {"unlocked_branch": NOT_HELD, "after_early_return": HELD}


def test_switch_with_fallthrough_and_break() -> None:
    src = """
void f(struct dev *d, int x)
{
	switch (x) {
	case 1:
		spin_lock(&d->lock);
		fallthrough;
	case 2:
		probe(case2);
		break;
	case 3:
		spin_lock(&d->lock);
		probe(case3);
		break;
	default:
		spin_lock(&d->lock);
		break;
	}
	probe(after_switch);
}
"""
    # case 2 is reached from case 1 (held) and directly (not held).
    assert probes(src) == {"case2": PARTIAL, "case3": HELD, "after_switch": PARTIAL}


def test_switch_where_every_case_takes_the_lock() -> None:
    src = """
void f(struct dev *d, int x)
{
	switch (x) {
	case 1:
	case 2:
		spin_lock(&d->lock);
		break;
	default:
		spin_lock_irq(&d->lock);
	}
	probe(after);
}
"""
    assert probes(src) == {"after": HELD}


def test_while_loop_body_with_break_and_continue() -> None:
    src = """
void f(struct dev *d, int n)
{
	spin_lock(&d->lock);
	while (n--) {
		if (n == 3)
			continue;
		probe(body);
		if (n == 5) {
			spin_unlock(&d->lock);
			break;
		}
	}
	probe(after_loop);
}
"""
    # After the loop: the break path released the lock, the normal exit did not.
    assert probes(src) == {"body": HELD, "after_loop": PARTIAL}


def test_lock_dropped_inside_a_loop_is_not_held_at_the_top() -> None:
    src = """
void f(struct dev *d, int n)
{
	spin_lock(&d->lock);
	for (int i = 0; i < n; i++) {
		probe(top);
		spin_unlock(&d->lock);
		cond_resched();
		spin_lock(&d->lock);
		probe(retaken);
	}
	probe(after);
	spin_unlock(&d->lock);
}
"""
    assert probes(src) == {"top": HELD, "retaken": HELD, "after": HELD}


def test_loop_that_releases_on_some_iterations_only() -> None:
    src = """
void f(struct dev *d, int n)
{
	spin_lock(&d->lock);
	for (int i = 0; i < n; i++) {
		probe(top);
		if (i == 2)
			spin_unlock(&d->lock);
	}
}
"""
    # The second time round the lock may have been dropped: a fixpoint, not one pass.
    assert probes(src) == {"top": PARTIAL}


def test_iterator_macro_runs_zero_or_more_times() -> None:
    src = """
void f(struct dev *d)
{
	struct page *page;

	list_for_each_entry(page, &d->items, lru) {
		spin_lock(&d->lock);
		probe(in_body);
		break;
	}
	probe(after);
}
"""
    assert probes(src) == {"in_body": HELD, "after": PARTIAL}


def test_do_while_zero_runs_once_and_break_leaves_it() -> None:
    src = """
void f(struct dev *d, int x)
{
	do {
		spin_lock(&d->lock);
		if (x)
			break;
		spin_unlock(&d->lock);
	} while (0);
	probe(after);
	do {
		spin_lock(&d->lock);
	} while (0);
	probe(after_plain);
}
"""
    assert probes(src) == {"after": PARTIAL, "after_plain": HELD}


def test_do_while_loop_body_runs_at_least_once() -> None:
    src = """
void f(struct dev *d, int n)
{
	do {
		spin_lock(&d->lock);
		probe(body);
		spin_unlock(&d->lock);
	} while (--n);
	probe(after);
}
"""
    assert probes(src) == {"body": HELD, "after": NOT_HELD}


def test_goto_unwind_labels() -> None:
    src = """
int f(struct dev *d, int x)
{
	int err = 0;

	spin_lock(&d->lock);
	if (x)
		goto out_unlock;
	if (x > 2) {
		err = -EINVAL;
		goto out;
	}
	probe(straight);
out_unlock:
	probe(at_unlock_label);
	spin_unlock(&d->lock);
	return 0;
out:
	probe(at_out_label);
	return err;
}
"""
    assert probes(src) == {"straight": HELD, "at_unlock_label": HELD, "at_out_label": HELD}


def test_goto_from_unlocked_and_locked_paths() -> None:
    src = """
int f(struct dev *d, int x)
{
	if (x)
		goto fail;
	spin_lock(&d->lock);
	if (x > 1)
		goto fail;
	spin_unlock(&d->lock);
	return 0;
fail:
	probe(fail);
	return -EIO;
}
"""
    assert probes(src) == {"fail": PARTIAL}


def test_backward_goto_is_a_loop() -> None:
    src = """
void f(struct dev *d, int n)
{
again:
	probe(again);
	spin_lock(&d->lock);
	if (--n)
		goto again;
	probe(done);
}
"""
    assert probes(src) == {"again": PARTIAL, "done": HELD}


def test_statement_expression_takes_the_lock_in_order() -> None:
    src = """
void f(struct dev *d)
{
	int v = ({ spin_lock(&d->lock); probe(inside); d->items.next != 0; });

	probe(after_held);
	v += ({ spin_unlock(&d->lock); 1; });
	probe(after_released);
}
"""
    assert probes(src) == {"inside": HELD, "after_held": HELD, "after_released": NOT_HELD}


def test_guard_holds_until_the_end_of_its_block() -> None:
    src = """
void f(struct dev *d, int x)
{
	if (x) {
		guard(spinlock_irqsave)(&d->lock);
		probe(in_block);
	}
	probe(after_block);
	guard(mutex)(&d->m);
	probe(mutex_rest);
}
"""
    assert probes(src) == {"in_block": HELD, "after_block": NOT_HELD, "mutex_rest": NOT_HELD}
    assert probes(src, "dev.m") == {"in_block": NOT_HELD, "after_block": NOT_HELD, "mutex_rest": HELD}


def test_guard_is_released_by_break_out_of_its_block() -> None:
    src = """
void f(struct dev *d, int n)
{
	while (n--) {
		guard(spinlock)(&d->lock);
		if (n == 4)
			break;
		probe(in_loop);
	}
	probe(after);
}
"""
    assert probes(src) == {"in_loop": HELD, "after": NOT_HELD}


def test_scoped_guard_holds_inside_only_and_break_leaves_it() -> None:
    src = """
void f(struct dev *d, int x)
{
	scoped_guard(spinlock_irqsave, &d->lock) {
		probe(inside);
		if (x)
			break;
	}
	probe(after);
}
"""
    assert probes(src) == {"inside": HELD, "after": NOT_HELD}


def test_functions_with_parse_errors_are_not_trusted() -> None:
    src = """
void f(struct dev *d)
{
	spin_lock(&d->lock);
	int x = ;
	spin_unlock(&d->lock);
}
void g(struct dev *d)
{
	spin_lock(&d->lock);
	spin_unlock(&d->lock);
}
"""
    trusted = {fl.function.name: fl.reliable for fl in analyse(src).functions}
    assert trusted == {"f": False, "g": True}


def test_a_label_inside_a_statement_expression() -> None:
    # fs/bcachefs writes error paths inside ({ ... }) macros; the label was not
    # found before the expression was walked (KeyError stopped the whole index).
    src = """
void f(struct dev *d, int x)
{
	int y = ({
		int r = 0;
		spin_lock(&d->lock);
		if (x)
			goto inner_err;
		r = 1;
inner_err:
		spin_unlock(&d->lock);
		r;
	});
	probe(after);
}
"""
    assert probes(src) == {"after": NOT_HELD}
