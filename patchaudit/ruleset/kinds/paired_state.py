"""Kind ``paired-state``: a driver that sets a page state must also clear it, following its helpers.

The pairing is per driver (one file). Drivers mark and clear pages through
their own helpers (often a loop over the frames of a huge page) and call
them from their inflate and deflate paths, so a mark or a clear counts where
it can run: in a function the file exports, stores in an ops table or hands
to someone, or in a static helper such a function calls. A static helper
nobody calls any more marks or clears nothing.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from patchaudit.analyses.callgraph import CallGraph, call_graph
from patchaudit.cfront.ir import Call, FileIR
from patchaudit.model import TraceStep
from patchaudit.ruleset.kinds.base import Guarded, Hit, Scope, param_str_list, reject_unknown
from patchaudit.ruleset.kinds.lock_params import optional_strs
from patchaudit.ruleset.model import Rule

_MAX_RELEASES_SHOWN = 5
SET = "set"
CLEAR = "clear"


@dataclass(frozen=True)
class PairedStateParams:
    set: tuple[str, ...]  # calls that set the state: __SetPageOffline
    clear: tuple[str, ...]  # calls that clear it: __ClearPageOffline
    # library calls that clear it on the page they are given: balloon_page_finalize
    # (not balloon_page_list_dequeue(), which clears only pages the library marked)
    clear_via: tuple[str, ...]
    release: tuple[str, ...]  # calls that hand pages back (shown in the trace): __free_page
    exclude_paths: tuple[str, ...]  # tree prefixes where the state has other owners: mm/


@dataclass(frozen=True)
class _Site:
    function: str
    call: Call


@dataclass(frozen=True)
class _Driver:
    """Where one file sets and clears the state, and which of it can run."""

    graph: CallGraph
    sets: tuple[_Site, ...]  # direct calls of a setter
    clears: tuple[_Site, ...]  # direct calls of a clearer (or a library call that clears)
    setting: frozenset[str]  # functions that set, themselves or through helpers of the file
    clearing: frozenset[str]

    def live(self, sites: tuple[_Site, ...]) -> list[_Site]:
        return [site for site in sites if site.function in self.graph.live]

    def dead(self, sites: tuple[_Site, ...]) -> list[_Site]:
        return [site for site in sites if site.function not in self.graph.live]


def _driver(params: PairedStateParams, ir: FileIR) -> _Driver:
    graph = call_graph(ir)
    setters = set(params.set)
    clearers = set(params.clear) | set(params.clear_via)
    sets = tuple(
        _Site(name, call) for name, calls in graph.calls.items()
        for call in calls if call.callee in setters
    )
    clears = tuple(
        _Site(name, call) for name, calls in graph.calls.items()
        for call in calls if call.callee in clearers
    )
    return _Driver(
        graph,
        sets,
        clears,
        graph.reaching(lambda call: call.callee in setters),
        graph.reaching(lambda call: call.callee in clearers),
    )


class PairedStateKind:
    name = "paired-state"
    scope = Scope.FILE
    # Its tokens are names it compares whole (ident.name == token): scan wants them whole too.
    whole_identifiers = True

    def parse_params(self, raw: Mapping[str, Any], where: str) -> PairedStateParams:
        reject_unknown(raw, {"set", "clear", "clear_via", "release", "exclude_paths"}, where)
        return PairedStateParams(
            set=param_str_list(raw, "set", where),
            clear=param_str_list(raw, "clear", where),
            clear_via=optional_strs(raw, "clear_via", where),
            release=optional_strs(raw, "release", where),
            exclude_paths=optional_strs(raw, "exclude_paths", where),
        )

    def required_tokens(self, rule: Rule) -> tuple[str, ...]:
        # Only a call of a setter is reported; check() also filters on these names.
        params: PairedStateParams = rule.params
        return params.set

    def _applies(self, params: PairedStateParams, ir: FileIR) -> bool:
        if ir.path.startswith(params.exclude_paths):
            return False
        wanted = set(params.set) | set(params.clear) | set(params.clear_via)
        if not any(ident.name in wanted for ident in ir.identifiers):
            return False
        # A function with a parse error may hide a call or a caller: stay quiet.
        return not any(fn.has_error for fn in ir.functions)

    def check(self, rule: Rule, ir: FileIR) -> Iterator[Hit]:
        params: PairedStateParams = rule.params
        if not self._applies(params, ir):
            return
        driver = _driver(params, ir)
        live_sets, live_clears = driver.live(driver.sets), driver.live(driver.clears)
        if live_sets and not live_clears:
            yield from self._never_cleared(params, ir, driver, live_sets)
        elif live_clears:
            yield from self._no_longer_set(params, ir, driver, live_clears)

    def _never_cleared(
        self, params: PairedStateParams, ir: FileIR, driver: _Driver, live_sets: list[_Site]
    ) -> Iterator[Hit]:
        releases = [
            TraceStep(ir.path, call.pos.line,
                      f"{fn}() hands a page back with {call.text} without {params.clear[0]}()")
            for fn, calls in driver.graph.calls.items() if fn in driver.graph.live
            for call in calls if call.callee in params.release
        ][:_MAX_RELEASES_SHOWN]
        unused = [
            TraceStep(ir.path, site.call.pos.line,
                      f"{site.function}() clears the state ({site.call.text}), "
                      "but nothing in this file calls it")
            for site in driver.dead(driver.clears)
        ]
        clearing = sorted(set(params.clear) | set(params.clear_via))
        for site in live_sets:
            trace = [
                TraceStep(ir.path, site.call.pos.line,
                          f"{site.function}() sets the state: {site.call.text}"),
                *_paths_to(ir.path, driver.graph, site.function, "sets it"),
                *releases,
                *unused,
            ]
            if not releases and not unused:
                trace.append(TraceStep(ir.path, site.call.pos.line,
                                       f"no call in this file clears it ({', '.join(clearing)})"))
            via = f" (nor through {', '.join(params.clear_via)})" if params.clear_via else ""
            yield Hit(
                site.call.pos.line,
                site.call.pos.column,
                f"{site.call.callee}() marks pages here, but nothing in this file undoes it with "
                f"{' or '.join(params.clear)}(){via} before the pages go back",
                tuple(sorted(trace)),
            )

    def _no_longer_set(
        self, params: PairedStateParams, ir: FileIR, driver: _Driver, live_clears: list[_Site]
    ) -> Iterator[Hit]:
        """A setter only dead helpers call, while the driver still clears: the inflate path stopped."""
        clears = [
            TraceStep(ir.path, site.call.pos.line,
                      f"{site.function}() still clears the state: {site.call.text}")
            for site in live_clears
        ][:_MAX_RELEASES_SHOWN]
        for site in driver.dead(driver.sets):
            trace = [
                TraceStep(ir.path, site.call.pos.line,
                          f"{site.function}() sets the state ({site.call.text}), "
                          "but nothing in this file calls it"),
                *clears,
            ]
            yield Hit(
                site.call.pos.line,
                site.call.pos.column,
                f"{site.function}() marks pages with {site.call.callee}(), but nothing calls it: "
                f"the pages this driver hands over are no longer marked, while it still clears "
                f"the mark with {' or '.join(params.clear)}()",
                tuple(sorted(trace)),
            )

    # ------------------------------------------------------------ removals

    def guarded(self, rule: Rule, ir: FileIR) -> Iterator[Guarded]:
        """Each set and clear, and each call of a helper of the file that sets or clears."""
        params: PairedStateParams = rule.params
        if not self._applies(params, ir):
            return
        yield from _state_calls(_driver(params, ir))

    def equivalents(self, rule: Rule, ir: FileIR) -> Iterator[Guarded]:
        params: PairedStateParams = rule.params
        if ir.path.startswith(params.exclude_paths):
            return
        yield from _state_calls(_driver(params, ir))

    def removal_hit(self, rule: Rule, removed: Guarded, line: int, ir: FileIR) -> Hit | None:
        """A set or clear a patch dropped, while the driver still uses the state elsewhere."""
        params: PairedStateParams = rule.params
        if not self._applies(params, ir):
            return None
        driver = _driver(params, ir)
        names = set(params.clear) | set(params.clear_via) if removed.key == CLEAR else set(params.set)
        # Moved up: every caller of the function now does it itself, not
        # through the function (which may still do it on another branch).
        # Only for a function the file alone calls: an exported one has
        # callers the analysis cannot see.
        others_than = CallGraph(
            {name: tuple(call for call in calls if call.callee != removed.function)
             for name, calls in driver.graph.calls.items() if name != removed.function},
            driver.graph.live,
        )
        doing = others_than.reaching(lambda call: call.callee in names)
        callers = [caller for caller, _ in driver.graph.callers_of(removed.function)]
        if (removed.function not in driver.graph.roots and callers
                and all(caller in doing for caller in callers)):
            return None
        # The other end of the pair: where the driver still sets (a clear was
        # removed) or still clears or sets (a set was removed) the state.
        others = [(site, "still sets the state") for site in driver.live(driver.sets)]
        if removed.key == CLEAR:
            consequence = (
                f"pages it handles keep the mark, which the driver still sets with "
                f"{' or '.join(params.set)}()"
            )
        else:
            others = [(site, "still clears the state") for site in driver.live(driver.clears)] + others
            consequence = "pages it handles are no longer marked, while the driver still uses the mark"
        if not others:
            return None  # the driver no longer uses the state at all: a design change
        # A helper the removed call was the last caller of now does nothing.
        idle = driver.dead(driver.clears if removed.key == CLEAR else driver.sets)
        trace = [
            TraceStep(ir.path, line, f"{removed.text} was here, in {removed.function}()"),
            *(TraceStep(ir.path, site.call.pos.line, f"{site.function}() {what}: {site.call.text}")
              for site, what in others[:_MAX_RELEASES_SHOWN]),
            *(TraceStep(ir.path, site.call.pos.line,
                        f"{site.function}() does it ({site.call.text}), but nothing calls it now")
              for site in idle[:_MAX_RELEASES_SHOWN]),
        ]
        return Hit(
            line,
            0,
            f"the patch removes {removed.text} from {removed.function}() and nothing there "
            f"replaces it: {consequence}",
            tuple(sorted(trace)),
            removed.function,
        )


def _state_calls(driver: _Driver) -> Iterator[Guarded]:
    """Direct sets and clears, and calls of helpers of the file that (transitively) do them."""
    direct = {(site.function, site.call): SET for site in driver.sets}
    direct.update({(site.function, site.call): CLEAR for site in driver.clears})
    for (function, call), key in direct.items():
        yield Guarded(function, key, call.pos.line, call.pos.column, _one_line(call.text))
    for function, calls in driver.graph.calls.items():
        for call in calls:
            if (function, call) in direct or call.callee == function:
                continue
            for key, doing in ((SET, driver.setting), (CLEAR, driver.clearing)):
                if call.callee in doing:
                    yield Guarded(function, key, call.pos.line, call.pos.column,
                                  _one_line(call.text))


def _paths_to(path: str, graph: CallGraph, function: str, what: str) -> list[TraceStep]:
    """Where the helper that does it is called from (one level: the inflate or deflate path)."""
    return [
        TraceStep(path, call.pos.line, f"{caller}() {what} through {function}()")
        for caller, call in graph.callers_of(function)
        if caller != function
    ][:_MAX_RELEASES_SHOWN]


def _one_line(text: str) -> str:
    return " ".join(text.split())
